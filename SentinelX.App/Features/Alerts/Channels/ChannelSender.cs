using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;

namespace SentinelX.App.Features.Alerts.Channels;

/// <summary>
/// Makes one attempt at sending a notification to a channel: renders it in its language, sends,
/// and turns whatever happens (an answer, a refused connection, a timeout) into a short reason with
/// every secret of the channel scrubbed out.
/// </summary>
public sealed class ChannelSender(IHttpClientFactory httpFactory, TimeProvider time, ILogger<ChannelSender> log)
{
    /// <summary>One attempt; the result's <see cref="DeliveryResult.Attempts"/> is 1.</summary>
    public async Task<DeliveryResult> SendAsync(ChannelConfig config, AlertNotification notification, CancellationToken ct) =>
        (await AttemptAsync(config, notification, ct)).Result;

    internal async Task<(DeliveryResult Result, bool Retryable)> AttemptAsync(ChannelConfig config, AlertNotification notification, CancellationToken ct)
    {
        SendOutcome outcome;
        try
        {
            var context = new ChannelContext(httpFactory.CreateClient(HttpDelivery.ClientName), time);
            outcome = await config.SendAsync(context, AlertMessage.Render(notification), ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            outcome = Describe(e);
            if (outcome.Error is null)
            {
                log.LogWarning(e, "Sending to a {Type} channel failed unexpectedly", config.Type);
                outcome = SendOutcome.Failed($"{e.GetType().Name}: {e.Message}", retryable: true);
            }
        }
        var error = outcome.Error is null ? null : Scrub(outcome.Error, config);
        return (new DeliveryResult(outcome.Ok, error, time.GetUtcNow()), outcome.Retryable);
    }

    /// <summary>The failures to expect from networks and services, with what a user can do about them; null for the unexpected.</summary>
    private static SendOutcome Describe(Exception e) => e switch
    {
        // HttpClient reports its own timeout as a cancellation that the caller did not ask for.
        OperationCanceledException or TimeoutException => SendOutcome.Failed($"no answer within {HttpDelivery.Timeout.TotalSeconds:0} s", true),
        HttpRequestException h => SendOutcome.Failed("connection failed: " + (h.InnerException?.Message ?? h.Message), true),
        AuthenticationException a => SendOutcome.Failed("SMTP authentication failed: " + a.Message, false),
        SslHandshakeException => SendOutcome.Failed("TLS handshake with the SMTP server failed (certificate not trusted, or wrong security mode for this port)", false),
        ServiceNotAuthenticatedException => SendOutcome.Failed("the SMTP server refused to send: " + e.Message, false),
        SmtpCommandException s => SendOutcome.Failed($"SMTP {(int)s.StatusCode}: {s.Message}", (int)s.StatusCode < 500),
        SmtpProtocolException or ProtocolException => SendOutcome.Failed("SMTP protocol error: " + e.Message, true),
        System.Net.Sockets.SocketException or IOException => SendOutcome.Failed("connection failed: " + e.Message, true),
        _ => default,
    };

    private static string Scrub(string error, ChannelConfig config)
    {
        foreach (var secret in ChannelSecrets.SecretValues(config).OrderByDescending(s => s.Length))
            error = error.Replace(secret, "***", StringComparison.Ordinal)
                .Replace(Uri.EscapeDataString(secret), "***", StringComparison.Ordinal);
        return error;
    }
}

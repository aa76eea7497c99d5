using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using SentinelX.Node.Logging;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Connection;

/// <summary>The result of one enrollment attempt or join poll: an identity, a join request to wait on, or why not.</summary>
internal sealed record EnrollOutcome(EnrollResponse? Response, HttpStatusCode? Status, string? Error, EnrollPending? Pending = null);

/// <summary>First contact: trades the enrollment key for a node id and a per-node secret.</summary>
internal static class Enrollment
{
    /// <summary>Where a Core's endpoint lives, keeping any path prefix the Core is served under.</summary>
    public static Uri Endpoint(Uri core, string path, bool webSocket = false)
    {
        var builder = new UriBuilder(core)
        {
            Path = core.AbsolutePath.TrimEnd('/') + path,
            Query = "",
            Fragment = "",
        };
        if (webSocket) builder.Scheme = core.Scheme == "https" ? "wss" : "ws";
        return builder.Uri;
    }

    public static Task<EnrollOutcome> EnrollAsync(Uri core, string key, EnrollRequest request, CancellationToken ct) =>
        SendAsync(Endpoint(core, ProtocolInfo.EnrollPath), key, JsonSerializer.SerializeToUtf8Bytes(request, ProtocolJsonContext.Default.EnrollRequest), ct);

    /// <summary>Asks how a join request stands; the ticket goes in the Authorization header, never in the URL.</summary>
    public static Task<EnrollOutcome> PollAsync(Uri core, JoinTicket join, CancellationToken ct) =>
        SendAsync(Endpoint(core, ProtocolInfo.JoinRequestPath(join.RequestId)), join.Ticket, "{}"u8.ToArray(), ct);

    private static async Task<EnrollOutcome> SendAsync(Uri endpoint, string bearer, byte[] body, CancellationToken ct)
    {
        using var handler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10), UseProxy = true };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        using var message = new HttpRequestMessage(HttpMethod.Post, endpoint);
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        message.Content = new ByteArrayContent(body);
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        try
        {
            using var response = await http.SendAsync(message, ct);
            var content = await response.Content.ReadAsByteArrayAsync(ct);
            if (!response.IsSuccessStatusCode)
                return new EnrollOutcome(null, response.StatusCode, DescribeProblem(response.StatusCode, content));

            try
            {
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    var pending = JsonSerializer.Deserialize(content, ProtocolJsonContext.Default.EnrollPending);
                    return pending is { RequestId.Length: > 0 }
                        ? new EnrollOutcome(null, response.StatusCode, null, pending)
                        : new EnrollOutcome(null, response.StatusCode, "the Core's answer has no join request id");
                }

                var result = JsonSerializer.Deserialize(content, ProtocolJsonContext.Default.EnrollResponse);
                return result is { NodeId.Length: > 0, Secret.Length: > 0 }
                    ? new EnrollOutcome(result, response.StatusCode, null)
                    : new EnrollOutcome(null, response.StatusCode, "the Core's answer has no node id or secret");
            }
            catch (JsonException ex)
            {
                return new EnrollOutcome(null, response.StatusCode, $"the Core's answer is not an enrollment response: {ex.Message}");
            }
        }
        catch (HttpRequestException ex)
        {
            return new EnrollOutcome(null, null, ex.Message);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return new EnrollOutcome(null, null, "the Core did not answer within 30 s");
        }
    }

    /// <summary>"401 the enrollment key is not valid": the status and the RFC 9457 detail (or title) when there is one.</summary>
    internal static string DescribeProblem(HttpStatusCode status, ReadOnlySpan<byte> body)
    {
        string? text = null;
        try
        {
            if (!body.IsEmpty && JsonSerializer.Deserialize(body, ProtocolJsonContext.Default.ProblemDetailsMessage) is { } problem)
                text = problem.Detail ?? problem.Title;
        }
        catch (JsonException)
        {
            Log.Debug("enrollment error body is not a problem document");
        }

        return $"{(int)status} {text ?? status.ToString()}";
    }
}

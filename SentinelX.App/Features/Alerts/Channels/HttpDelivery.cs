using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SentinelX.App.Features.Alerts.Channels;

/// <summary>What a channel needs to send: the shared HTTP client and the clock (DingTalk signs a timestamp).</summary>
internal sealed record ChannelContext(HttpClient Http, TimeProvider Time);

/// <summary>One attempt's outcome. <see cref="Retryable"/> is false where another try would get the same answer (a wrong token, a 400).</summary>
internal readonly record struct SendOutcome(bool Ok, string? Error, bool Retryable)
{
    public static SendOutcome Success => new(true, null, false);
    public static SendOutcome Failed(string error, bool retryable) => new(false, error, retryable);
}

/// <summary>A service's HTTP answer: status and the start of the body, enough to read <c>ok</c> or <c>errcode</c> and to say what went wrong.</summary>
internal sealed record HttpAnswer(int Status, string Reason, string Body, Uri? Location)
{
    public bool IsSuccess => Status is >= 200 and <= 299;

    /// <summary>408, 429 and 5xx are worth another try; other statuses mean the request itself is wrong.</summary>
    public bool IsTransient => Status is 408 or 429 or >= 500;

    public SendOutcome Failure()
    {
        if (Status is >= 300 and <= 399)
            return SendOutcome.Failed(
                $"HTTP {Status}: redirected{(Location is null ? "" : " to " + Location.GetLeftPart(UriPartial.Authority))}; redirects are not followed, configure the final URL", false);
        var excerpt = Excerpt(Body);
        return SendOutcome.Failed($"HTTP {Status} {Reason}{(excerpt.Length > 0 ? ": " + excerpt : "")}".TrimEnd(), IsTransient);
    }

    /// <summary>The service's own field (<c>description</c>, <c>errmsg</c>...), else the body start, on one line.</summary>
    public static string Excerpt(string text) => AlertMessage.OneLine(text, 200);

    /// <summary>
    /// For services that answer <c>{"errcode":0,"errmsg":"ok"}</c> (WeCom, DingTalk) or alike (ServerChan's
    /// <c>code</c>, Bark's <c>code</c> 200): success only with the expected code; the service's message otherwise.
    /// </summary>
    public SendOutcome ServiceCode(string service, string codeField, string messageField, long okCode, params long[] transientCodes)
    {
        var json = JsonBody();
        long? code = json?[codeField] is JsonValue value && value.TryGetValue<long>(out var c) ? c : null;
        if (code is { } failed && failed != okCode)
        {
            var text = json![messageField] is JsonValue message && message.TryGetValue<string>(out var m) ? Excerpt(m) : "";
            return SendOutcome.Failed($"{service} error {failed}: {text}".TrimEnd(' ', ':'), IsTransient || transientCodes.Contains(failed));
        }
        if (!IsSuccess) return Failure();
        return code is not null ? SendOutcome.Success : SendOutcome.Failed($"{service} answered without \"{codeField}\": {Excerpt(Body)}", false);
    }

    /// <summary>A JSON object body, or null when the body is not one.</summary>
    public JsonObject? JsonBody()
    {
        try
        {
            return JsonNode.Parse(Body) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

internal static class HttpDelivery
{
    /// <summary>The named <see cref="IHttpClientFactory"/> client every HTTP channel sends through.</summary>
    public const string ClientName = "SentinelX.Alerts.Channels";

    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    /// <summary>Bodies of answers are read up to this size: enough for any error text, bounded against a hostile server.</summary>
    private const int MaxAnswerBytes = 64 * 1024;

    public static HttpContent Json(JsonNode body) =>
        new StringContent(body.ToJsonString(ChannelConfig.Json), Encoding.UTF8, "application/json");

    public static HttpContent Form(params (string Name, string Value)[] fields) =>
        new FormUrlEncodedContent(fields.Select(f => KeyValuePair.Create(f.Name, f.Value)));

    /// <summary>A base URL (ends with '/') plus a path; string concatenation, since a relative URI with ':' (a bot token) would read as a scheme.</summary>
    public static Uri Combine(Uri baseUrl, string path) => new(baseUrl.AbsoluteUri + path);

    public static async Task<HttpAnswer> PostAsync(ChannelContext context, Uri url, HttpContent content,
        IReadOnlyDictionary<string, string>? headers, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            // Content-Type and its kin belong to the content; everything else to the request.
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)) content.Headers.ContentType = null;
                content.Headers.Remove(name);
                content.Headers.TryAddWithoutValidation(name, value);
            }
        }
        using var response = await context.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        var body = await ReadBoundedAsync(response.Content, ct);
        return new HttpAnswer((int)response.StatusCode, response.ReasonPhrase ?? "", body, response.Headers.Location);
    }

    private static async Task<string> ReadBoundedAsync(HttpContent content, CancellationToken ct)
    {
        await using var stream = await content.ReadAsStreamAsync(ct);
        var buffer = new byte[MaxAnswerBytes];
        var total = 0;
        int read;
        while (total < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(total), ct)) > 0)
            total += read;
        var charset = content.Headers.ContentType?.CharSet;
        var encoding = charset is null ? Encoding.UTF8 : TryEncoding(charset);
        return encoding.GetString(buffer, 0, total);
    }

    private static Encoding TryEncoding(string charset)
    {
        try
        {
            return Encoding.GetEncoding(charset.Trim('"'));
        }
        catch (ArgumentException)
        {
            return Encoding.UTF8;
        }
    }

    /// <summary>The named client: 15 s per request, no redirects (a webhook must not be bounced to another host with its body).</summary>
    public static IServiceCollection AddChannelHttpClient(this IServiceCollection services)
    {
        services.AddHttpClient(ClientName, c =>
            {
                c.Timeout = Timeout;
                c.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("SentinelX", typeof(HttpDelivery).Assembly.GetName().Version?.ToString(3)));
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseCookies = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            });
        return services;
    }
}

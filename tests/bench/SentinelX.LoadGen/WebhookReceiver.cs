using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

/// <summary>One webhook call as it arrived: the Core's default JSON body and when the last byte was read.</summary>
internal sealed record Notification(long ReceivedAt, string State, string RuleId, string NodeId, DateTimeOffset? StartedAt, DateTimeOffset? ResolvedAt);

/// <summary>A local webhook endpoint the Core's webhook channel posts to; it timestamps every call on arrival.</summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener;
    private readonly Task _loop;

    private WebhookReceiver(HttpListener listener, Uri url)
    {
        _listener = listener;
        Url = url;
        _loop = Task.Run(AcceptAsync);
    }

    public Uri Url { get; }

    public ConcurrentQueue<Notification> Received { get; } = new();

    public int Malformed => _malformed;

    private int _malformed;

    public static WebhookReceiver Start()
    {
        // HttpListener cannot take port 0; ask the kernel for a free port and take it straight away.
        for (var attempt = 0; ; attempt++)
        {
            int port;
            using (var probe = new TcpListener(IPAddress.Loopback, 0))
            {
                probe.Start();
                port = ((IPEndPoint)probe.LocalEndpoint).Port;
            }

            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/hook/");
            try
            {
                listener.Start();
                return new WebhookReceiver(listener, new Uri($"http://127.0.0.1:{port}/hook"));
            }
            catch (HttpListenerException) when (attempt < 10)
            {
                listener.Close();
            }
        }
    }

    private async Task AcceptAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        try
        {
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            var at = Stopwatch.GetTimestamp();
            if (Parse(at, body.ToArray()) is { } notification) Received.Enqueue(notification);
            else Interlocked.Increment(ref _malformed);
            context.Response.StatusCode = 204;
        }
        finally
        {
            context.Response.Close();
        }
    }

    private static Notification? Parse(long at, byte[] body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            return new Notification(at, Text(root, "state"), Text(root, "ruleId"), Text(root, "nodeId"), Time(root, "startedAt"), Time(root, "resolvedAt"));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            return null;
        }
    }

    private static string Text(JsonElement root, string field) => root.GetProperty(field).GetString() ?? "";

    private static DateTimeOffset? Time(JsonElement root, string field) =>
        root.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String ? value.GetDateTimeOffset() : null;

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }
}

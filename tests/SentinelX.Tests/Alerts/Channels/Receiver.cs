using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SentinelX.Tests.Alerts.Channels;

/// <summary>A request as it reached the <see cref="Receiver"/>: what a service would see.</summary>
internal sealed record ReceivedRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    public Dictionary<string, string> Form => QueryHelpers.ParseQuery(Body).ToDictionary(p => p.Key, p => p.Value.ToString());

    public Dictionary<string, string> QueryValues => QueryHelpers.ParseQuery(Query).ToDictionary(p => p.Key, p => p.Value.ToString());

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

internal sealed record Answer(int Status, string Body = "", string ContentType = "application/json", string? Location = null);

/// <summary>
/// A stand-in for Telegram, ntfy, Slack…: a real Kestrel server on a loopback port that records every
/// request and answers with what <c>respond</c> says (by default 200 with an empty JSON object).
/// </summary>
internal sealed class Receiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<ReceivedRequest> _received = Channel.CreateUnbounded<ReceivedRequest>();

    private Receiver(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;
    public int Count { get; private set; }

    /// <summary>The base URL plus a path, as a config would name it.</summary>
    public string At(string path = "") => Url.AbsoluteUri.TrimEnd('/') + path;

    public static async Task<Receiver> StartAsync(Func<ReceivedRequest, int, Answer>? respond = null)
    {
        respond ??= (_, _) => new Answer(200, "{}");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new Receiver(app);
        app.Run(async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var request = new ReceivedRequest(context.Request.Method, context.Request.Path.Value ?? "", context.Request.QueryString.Value ?? "",
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                await reader.ReadToEndAsync());
            var answer = respond(request, ++receiver.Count);
            await receiver._received.Writer.WriteAsync(request);
            context.Response.StatusCode = answer.Status;
            context.Response.ContentType = answer.ContentType;
            if (answer.Location is not null) context.Response.Headers.Location = answer.Location;
            await context.Response.WriteAsync(answer.Body);
        });
        await app.StartAsync();
        receiver.Url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
        return receiver;
    }

    /// <summary>The next request received (waits up to 10 s for it).</summary>
    public async Task<ReceivedRequest> NextAsync() => await _received.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

    public bool TryNext(out ReceivedRequest? request) => _received.Reader.TryRead(out request);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

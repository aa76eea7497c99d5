using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SentinelX.Shared.Metrics;
using SentinelX.Shared.Protocol;
using SentinelX.Shared.Validation;

namespace SentinelX.Tests.Node;

/// <summary>
/// What a Core remembers; it outlives a <see cref="FakeCore"/> so a "restarted" Core keeps its
/// stored samples, as the real one keeps them in SQLite.
/// </summary>
internal sealed class FakeCoreState
{
    public readonly Lock Gate = new();
    public string Key { get; set; } = "enroll-key";
    public long NextSeq { get; set; } = 100;
    public Dictionary<string, string> Nodes { get; } = [];
    public int Enrollments { get; set; }
    public EnrollRequest? LastEnroll { get; set; }
    public bool Revoked { get; set; }

    /// <summary>Answer enrollment with a join request (202) that waits for <see cref="JoinDecision"/>: "approve" or "reject".</summary>
    public bool RequireApproval { get; set; }
    public string? JoinDecision { get; set; }
    public int JoinPolls { get; set; }
    public bool Ack { get; set; } = true;
    public bool AnswerHeartbeats { get; set; } = true;
    public long LastStoredSeq { get; set; }
    public List<long> Stored { get; } = [];

    /// <summary>Probe results from the stored samples, in the order they arrived.</summary>
    public List<ProbeResult> ProbeResults { get; } = [];
    public int Duplicates { get; set; }
    public string? BadBatch { get; set; }
    public int Heartbeats { get; set; }
    public List<HelloParams> Hellos { get; } = [];
    public List<(string Node, string Secret, string Protocol)> Upgrades { get; } = [];
    public JsonRpcPeer? Peer { get; set; }

    public List<long> StoredCopy()
    {
        lock (Gate) return [.. Stored];
    }
}

/// <summary>A stand-in Core on a real loopback port: enrollment endpoint and the node socket, speaking the shared protocol.</summary>
internal sealed class FakeCore : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping = new();

    private FakeCore(WebApplication app, FakeCoreState state)
    {
        _app = app;
        State = state;
    }

    public FakeCoreState State { get; }
    public Uri Url { get; private set; } = null!;

    public static async Task<FakeCore> StartAsync(FakeCoreState? state = null, int port = 0)
    {
        state ??= new FakeCoreState();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var core = new FakeCore(app, state);
        app.UseWebSockets();
        app.MapPost(ProtocolInfo.EnrollPath, core.EnrollAsync);
        app.MapPost(ProtocolInfo.EnrollPath + "/{requestId}", core.PollAsync);
        app.Map(ProtocolInfo.WebSocketPath, core.SocketAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        core.Url = new Uri(address);
        return core;
    }

    public int Port => Url.Port;

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2))) await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
        _stopping.Dispose();
    }

    private async Task EnrollAsync(HttpContext context) => await (await EnrollResultAsync(context)).ExecuteAsync(context);

    private async Task<IResult> EnrollResultAsync(HttpContext context)
    {
        if (context.Request.Headers.Authorization.ToString() != "Bearer " + State.Key)
            return Results.Problem(statusCode: 401, title: "Unauthorized", detail: "the enrollment key is not valid");
        var request = await context.Request.ReadFromJsonAsync(ProtocolJsonContext.Default.EnrollRequest);
        lock (State.Gate)
        {
            State.LastEnroll = request;
            if (State.RequireApproval)
                return Results.Json(new EnrollPending { RequestId = "req-1", Ticket = "sxj_ticket", ExpiresAt = DateTimeOffset.UtcNow.AddDays(1) },
                    ProtocolJsonContext.Default.EnrollPending, statusCode: 202);
            State.Enrollments++;
            var id = "node-" + request!.MachineId[..8];
            var secret = Guid.NewGuid().ToString("N");
            State.Nodes[id] = secret;
            return Results.Json(new EnrollResponse { NodeId = id, Secret = secret, NextSeq = State.NextSeq }, ProtocolJsonContext.Default.EnrollResponse);
        }
    }

    private async Task PollAsync(HttpContext context, string requestId)
    {
        IResult result;
        lock (State.Gate)
        {
            State.JoinPolls++;
            if (requestId != "req-1" || context.Request.Headers.Authorization.ToString() != "Bearer sxj_ticket")
                result = Results.Problem(statusCode: 404, title: "Unknown join request", detail: "no join request with this id and ticket");
            else if (State.JoinDecision == "reject")
                result = Results.Problem(statusCode: 403, title: "Re-join rejected", detail: "an administrator rejected this server's request");
            else if (State.JoinDecision == "approve")
            {
                State.Enrollments++;
                var secret = Guid.NewGuid().ToString("N");
                State.Nodes["node-old"] = secret;
                result = Results.Json(new EnrollResponse { NodeId = "node-old", Secret = secret, NextSeq = State.NextSeq }, ProtocolJsonContext.Default.EnrollResponse);
            }
            else
                result = Results.Json(new EnrollPending { RequestId = "req-1", ExpiresAt = DateTimeOffset.UtcNow.AddDays(1) }, ProtocolJsonContext.Default.EnrollPending, statusCode: 202);
        }

        await result.ExecuteAsync(context);
    }

    private async Task SocketAsync(HttpContext context)
    {
        var node = context.Request.Headers[ProtocolInfo.NodeIdHeader].ToString();
        var secret = context.Request.Headers.Authorization.ToString();
        lock (State.Gate)
        {
            State.Upgrades.Add((node, secret, context.Request.Headers[ProtocolInfo.ProtocolHeader].ToString()));
            if (!State.Nodes.TryGetValue(node, out var expected) || secret != "Bearer " + expected)
            {
                context.Response.StatusCode = 401;
                return;
            }

            if (State.Revoked)
            {
                context.Response.StatusCode = 403;
                return;
            }
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = 400;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        JsonRpcPeer? peer = null;
        var methods = new JsonRpcMethods()
            .OnRequest(Methods.Hello, ProtocolJsonContext.Default.HelloParams, ProtocolJsonContext.Default.HelloResult, (hello, _) =>
            {
                lock (State.Gate)
                {
                    State.Hellos.Add(hello);
                    return ValueTask.FromResult(new HelloResult { ProtocolVersion = 1, CoreVersion = "fake", NodeId = node, LastStoredSeq = State.LastStoredSeq });
                }
            })
            .OnRequest(Methods.Heartbeat, ProtocolJsonContext.Default.HeartbeatParams, ProtocolJsonContext.Default.HeartbeatResult, async (_, ct) =>
            {
                // A frozen Core (or a half-open link) never answers.
                if (!State.AnswerHeartbeats) await Task.Delay(Timeout.Infinite, ct);
                lock (State.Gate) State.Heartbeats++;
                return new HeartbeatResult { Time = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() };
            })
            .OnNotification(Methods.SystemInfoChanged, ProtocolJsonContext.Default.SystemInfo, (_, _) => ValueTask.CompletedTask)
            .OnNotification(Methods.Samples, ProtocolJsonContext.Default.SampleBatch, async (batch, ct) =>
            {
                long ack;
                lock (State.Gate)
                {
                    if (ProtocolValidation.Validate(batch) is { } error) State.BadBatch ??= error;
                    foreach (var sample in batch.Samples)
                    {
                        // Store each seq once, as the real Core does; count what arrives twice.
                        if (sample.Seq <= State.LastStoredSeq)
                        {
                            State.Duplicates++;
                            continue;
                        }

                        State.Stored.Add(sample.Seq);
                        State.ProbeResults.AddRange(sample.Probes ?? []);
                        State.LastStoredSeq = sample.Seq;
                    }

                    ack = State.LastStoredSeq;
                }

                if (State.Ack) await peer!.NotifyAsync(Methods.SamplesAck, new SampleAck { Seq = ack }, ProtocolJsonContext.Default.SampleAck, ct);
            });
        peer = new JsonRpcPeer(socket, methods);
        lock (State.Gate) State.Peer = peer;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        await peer.RunAsync(linked.Token);
        lock (State.Gate)
        {
            if (State.Peer == peer) State.Peer = null;
        }
    }

    /// <summary>Asks the connected Node for its system info, as the Core's UI would.</summary>
    public Task<SystemInfo> GetSystemInfoAsync()
    {
        var peer = State.Peer ?? throw new InvalidOperationException("no node connected");
        return peer.RequestAsync(Methods.GetSystemInfo, new EmptyParams(), ProtocolJsonContext.Default.EmptyParams, ProtocolJsonContext.Default.SystemInfo);
    }

    /// <summary>Drops the node's socket without a close handshake, like a crashed Core or a cut cable.</summary>
    public void DropConnection()
    {
        lock (State.Gate) State.Peer?.Abort();
    }
}

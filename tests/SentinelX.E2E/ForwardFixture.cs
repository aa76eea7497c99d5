using SentinelX.E2E.Infrastructure;
using Xunit;

namespace SentinelX.E2E;

/// <summary>One Core and two forward-enabled Nodes (entry and exit) for <see cref="ForwardTrafficTests"/>; the rules API itself is tested in-process (tests/SentinelX.Tests/Api).</summary>
public sealed class ForwardFixture : IAsyncLifetime
{
    public CoreInstance Core { get; } = new();
    public HttpClient Admin { get; private set; } = null!;
    public HttpClient Operator { get; private set; } = null!;
    public HttpClient Viewer { get; private set; } = null!;
    public NodeInstance Entry { get; private set; } = null!;
    public NodeInstance Exit { get; private set; } = null!;
    public string EntryId { get; private set; } = "";
    public string ExitId { get; private set; } = "";

    /// <summary>What an owner passes to let forwards reach services on the server itself.</summary>
    public static readonly string[] AllowLoopback = ["--forward-targets-allow", "127.0.0.0/8,::1"];

    public async Task InitializeAsync()
    {
        await Core.StartAsync();
        Admin = await Core.ClientAsync();
        Operator = await Core.ClientAsync("operator");
        Viewer = await Core.ClientAsync("viewer");
        Entry = Core.NewNode("fwd-entry");
        Exit = Core.NewNode("fwd-exit");
        // Every target in these tests listens on loopback, which a Node refuses unless its owner allows it.
        Entry.ExtraArgs.AddRange(AllowLoopback);
        Exit.ExtraArgs.AddRange(AllowLoopback);
        EntryId = await Core.StartOnlineNodeAsync(Entry, Admin, "forward");
        ExitId = await Core.StartOnlineNodeAsync(Exit, Admin, "forward");
    }

    public async Task DisposeAsync()
    {
        Admin.Dispose();
        Operator.Dispose();
        Viewer.Dispose();
        await Entry.DisposeAsync();
        await Exit.DisposeAsync();
        await Core.DisposeAsync();
    }
}

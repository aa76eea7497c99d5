using System.Diagnostics.CodeAnalysis;
using System.Net.WebSockets;
using FluentAssertions;
using SentinelX.Node.Config;
using SentinelX.Node.Remote;
using SentinelX.Shared.Protocol;
using SentinelX.Tests.Protocol;
using Xunit;

namespace SentinelX.Tests.Files;

/// <summary>
/// The Node's files methods over a real loopback WebSocket against a real directory tree in which a
/// local user has put symlinks: an operator's action never lands on what a link points to. The
/// tree mirrors a Node whose root is <c>/</c>: <c>home/f</c> is the user's file swapped for a link to
/// <c>etc/shadow</c>, which is inside the root, so only not following links protects it.
/// </summary>
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes them through IAsyncLifetime.DisposeAsync.")]
public sealed class FilesFeatureTests : IAsyncLifetime
{
    private const UnixFileMode Secret = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;

    private readonly CancellationTokenSource _session = new();
    private readonly string _base = Directory.CreateTempSubdirectory("sx-files-feature-").FullName;
    private readonly string _root;
    private readonly string _outside;
    private readonly List<WebSocket> _sockets = [];

    public FilesFeatureTests()
    {
        _root = Directory.CreateDirectory(Path.Combine(_base, "root")).FullName;
        _outside = Directory.CreateDirectory(Path.Combine(_base, "outside")).FullName;
        Directory.CreateDirectory(Path.Combine(_root, "etc"));
        Directory.CreateDirectory(Path.Combine(_root, "home"));
        Directory.CreateDirectory(Path.Combine(_root, "sub"));
        WriteSecret(Path.Combine(_root, "etc", "shadow"));
        WriteSecret(Path.Combine(_outside, "secret"));
        File.WriteAllText(Path.Combine(_root, "sub", "a.txt"), "a");
        File.CreateSymbolicLink(Path.Combine(_root, "home", "f"), "../etc/shadow");
        File.CreateSymbolicLink(Path.Combine(_root, "out-file"), Path.Combine(_outside, "secret"));
        File.CreateSymbolicLink(Path.Combine(_root, "out-dir"), _outside);
        File.CreateSymbolicLink(Path.Combine(_root, "in-dir"), Path.Combine(_root, "etc"));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        _session.Cancel();
        foreach (var socket in _sockets) socket.Dispose();
        _session.Dispose();
        Directory.Delete(_base, recursive: true);
        return Task.CompletedTask;
    }

    /// <summary>Each link's target: the file an attacker wants the operator's action to reach.</summary>
    public static TheoryData<string, string> Links => new()
    {
        { "home/f", "root/etc/shadow" },
        { "out-file", "outside/secret" },
        { "in-dir/shadow", "root/etc/shadow" },
        { "out-dir/secret", "outside/secret" },
    };

    [Theory]
    [MemberData(nameof(Links))]
    public async Task Chmod_through_a_link_is_refused_and_the_target_keeps_its_mode(string link, string target)
    {
        var core = await ConnectAsync();

        await RefusedAsync(Call(core, Methods.FilesChmod, new FilesChmodParams { Path = At(link), Mode = "0666" }, ProtocolJsonContext.Default.FilesChmodParams));

        File.GetUnixFileMode(Path.Combine(_base, target)).Should().Be(Secret);
    }

    [Theory]
    [MemberData(nameof(Links))]
    public async Task Downloads_through_a_link_are_refused(string link, string target)
    {
        var core = await ConnectAsync();

        await RefusedAsync(core.RequestAsync(Methods.FilesRead, new FilesReadParams { Path = At(link), StreamId = "s1" },
            ProtocolJsonContext.Default.FilesReadParams, ProtocolJsonContext.Default.FilesReadResult));

        File.ReadAllText(Path.Combine(_base, target)).Should().Be("secret");
    }

    [Theory]
    [MemberData(nameof(Links))]
    public async Task Uploads_and_resumed_chunks_through_a_link_are_refused(string link, string target)
    {
        var core = await ConnectAsync();

        foreach (var (offset, truncate) in new[] { (0L, true), (0L, false), (3L, false) })
        {
            await RefusedAsync(core.RequestAsync(Methods.FilesWrite, new FilesWriteParams { Path = At(link), StreamId = "s1", Offset = offset, Truncate = truncate },
                ProtocolJsonContext.Default.FilesWriteParams, ProtocolJsonContext.Default.FilesWriteAccepted));
        }

        File.ReadAllText(Path.Combine(_base, target)).Should().Be("secret");
        File.GetUnixFileMode(Path.Combine(_base, target)).Should().Be(Secret);
        Directory.GetFiles(Path.GetDirectoryName(Path.Combine(_base, target))!, ".*").Should().BeEmpty("no temporary file was made beside the target");
    }

    [Fact]
    public async Task A_linked_directory_is_never_entered_whatever_the_operation()
    {
        var core = await ConnectAsync();
        var json = ProtocolJsonContext.Default;

        await RefusedAsync(core.RequestAsync(Methods.FilesList, new FilesListParams { Path = At("out-dir") }, json.FilesListParams, json.FilesListResult));
        await RefusedAsync(core.RequestAsync(Methods.FilesList, new FilesListParams { Path = At("in-dir") }, json.FilesListParams, json.FilesListResult));
        await RefusedAsync(Call(core, Methods.FilesMkdir, new FilesMkdirParams { Path = At("out-dir/made") }, json.FilesMkdirParams));
        await RefusedAsync(Call(core, Methods.FilesDelete, new FilesDeleteParams { Path = At("out-dir/secret") }, json.FilesDeleteParams));
        await RefusedAsync(Call(core, Methods.FilesRename, new FilesRenameParams { From = At("sub/a.txt"), To = At("out-dir/a.txt") }, json.FilesRenameParams));
        await RefusedAsync(Call(core, Methods.FilesRename, new FilesRenameParams { From = At("out-dir/secret"), To = At("sub/stolen") }, json.FilesRenameParams));
        await RefusedAsync(core.RequestAsync(Methods.FilesWrite, new FilesWriteParams { Path = At("out-dir/new"), StreamId = "s1" }, json.FilesWriteParams, json.FilesWriteAccepted));

        Directory.GetFileSystemEntries(_outside).Should().Equal(Path.Combine(_outside, "secret"));
        File.ReadAllText(Path.Combine(_outside, "secret")).Should().Be("secret");
        File.Exists(Path.Combine(_root, "sub", "a.txt")).Should().BeTrue();
    }

    [Fact]
    public async Task Delete_and_rename_act_on_a_link_itself_never_on_its_target()
    {
        var core = await ConnectAsync();
        var json = ProtocolJsonContext.Default;
        Directory.CreateDirectory(Path.Combine(_root, "tree", "deep"));
        File.CreateSymbolicLink(Path.Combine(_root, "tree", "deep", "to-outside"), _outside);

        await Call(core, Methods.FilesRename, new FilesRenameParams { From = At("out-file"), To = At("sub/moved-link") }, json.FilesRenameParams);
        await Call(core, Methods.FilesDelete, new FilesDeleteParams { Path = At("home/f") }, json.FilesDeleteParams);
        await Call(core, Methods.FilesDelete, new FilesDeleteParams { Path = At("tree"), Recursive = true }, json.FilesDeleteParams);

        new FileInfo(Path.Combine(_root, "sub", "moved-link")).LinkTarget.Should().Be(Path.Combine(_outside, "secret"));
        File.Exists(Path.Combine(_root, "home", "f")).Should().BeFalse();
        Directory.Exists(Path.Combine(_root, "tree")).Should().BeFalse();
        File.ReadAllText(Path.Combine(_root, "etc", "shadow")).Should().Be("secret");
        File.ReadAllText(Path.Combine(_outside, "secret")).Should().Be("secret");
    }

    [Fact]
    public async Task Ordinary_operations_still_work_and_listings_show_links_without_following_them()
    {
        var core = await ConnectAsync();
        var json = ProtocolJsonContext.Default;

        await Call(core, Methods.FilesMkdir, new FilesMkdirParams { Path = At("sub/made") }, json.FilesMkdirParams);
        (await Refusal(Call(core, Methods.FilesMkdir, new FilesMkdirParams { Path = At("sub/made") }, json.FilesMkdirParams))).ErrorData.Should().Be(FilesErrorReasons.Exists);
        await Call(core, Methods.FilesChmod, new FilesChmodParams { Path = At("sub/a.txt"), Mode = "0600" }, json.FilesChmodParams);
        await Call(core, Methods.FilesRename, new FilesRenameParams { From = At("sub/a.txt"), To = At("sub/made/b.txt") }, json.FilesRenameParams);
        (await Refusal(Call(core, Methods.FilesRename, new FilesRenameParams { From = At("sub/made/b.txt"), To = At("etc/shadow") }, json.FilesRenameParams)))
            .ErrorData.Should().Be(FilesErrorReasons.Exists, "a rename never replaces");
        (await Refusal(Call(core, Methods.FilesDelete, new FilesDeleteParams { Path = At("sub") }, json.FilesDeleteParams))).ErrorData.Should().Be(FilesErrorReasons.NotEmpty);
        (await Refusal(Call(core, Methods.FilesDelete, new FilesDeleteParams { Path = _root, Recursive = true }, json.FilesDeleteParams))).ErrorData.Should().Be(FilesErrorReasons.Permission);

        File.GetUnixFileMode(Path.Combine(_root, "sub", "made", "b.txt")).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.ReadAllText(Path.Combine(_root, "etc", "shadow")).Should().Be("secret");

        var listing = await core.RequestAsync(Methods.FilesList, new FilesListParams { Path = _root }, json.FilesListParams, json.FilesListResult);
        listing.Path.Should().Be(_root);
        listing.Entries.Select(e => (e.Name, e.Type)).Should().Equal(
            ("etc", "dir"), ("home", "dir"), ("sub", "dir"), ("in-dir", "symlink"), ("out-dir", "symlink"), ("out-file", "symlink"));
        listing.Entries.Single(e => e.Name == "out-dir").Target.Should().Be(_outside);
        (await Refusal(core.RequestAsync(Methods.FilesList, new FilesListParams { Path = At("etc/shadow") }, json.FilesListParams, json.FilesListResult)))
            .ErrorData.Should().Be(FilesErrorReasons.NotAFile);

        var download = await core.RequestAsync(Methods.FilesRead, new FilesReadParams { Path = At("etc/shadow"), StreamId = "s1", Offset = 2 }, json.FilesReadParams, json.FilesReadResult);
        download.Size.Should().Be(6);
        (await Refusal(core.RequestAsync(Methods.FilesRead, new FilesReadParams { Path = At("sub"), StreamId = "s1" }, json.FilesReadParams, json.FilesReadResult)))
            .ErrorData.Should().Be(FilesErrorReasons.NotAFile);
        (await Refusal(core.RequestAsync(Methods.FilesRead, new FilesReadParams { Path = At("../outside/secret"), StreamId = "s1" }, json.FilesReadParams, json.FilesReadResult)))
            .ErrorData.Should().Be(FilesErrorReasons.OutsideRoots);
    }

    [Theory]
    [InlineData("4755")]
    [InlineData("2755")]
    [InlineData("1777")]
    [InlineData("06755")]
    public async Task Special_mode_bits_need_the_nodes_own_setting(string mode)
    {
        var path = Path.Combine(_root, "sub", "a.txt");
        var json = ProtocolJsonContext.Default;

        var error = await Refusal(Call(await ConnectAsync(), Methods.FilesChmod, new FilesChmodParams { Path = path, Mode = mode }, json.FilesChmodParams));
        error.ErrorData.Should().Be(FilesErrorReasons.Permission);
        error.Message.Should().Contain("fileSpecialModes");
        File.GetUnixFileMode(path).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        await Call(await ConnectAsync(specialModes: true), Methods.FilesChmod, new FilesChmodParams { Path = path, Mode = mode }, json.FilesChmodParams);
        FilesFeature.FormatMode((uint)File.GetUnixFileMode(path)).Should().Be(mode.PadLeft(5, '0')[1..]);
    }

    [Theory]
    [InlineData("10000", "over 07777")]
    [InlineData("77777", "over 07777")]
    [InlineData("017777", "octal digits")]
    [InlineData("-644", "octal digits")]
    [InlineData("0x1ff", "octal digits")]
    [InlineData("u+s", "octal digits")]
    [InlineData("", "octal digits")]
    [InlineData("64", "octal digits")]
    public async Task Modes_that_are_not_permission_bits_are_bad_params(string mode, string says)
    {
        var path = Path.Combine(_root, "sub", "a.txt");
        var before = File.GetUnixFileMode(path);

        var error = await Refusal(Call(await ConnectAsync(specialModes: true), Methods.FilesChmod, new FilesChmodParams { Path = path, Mode = mode }, ProtocolJsonContext.Default.FilesChmodParams));

        error.Code.Should().Be(JsonRpcErrorCodes.InvalidParams);
        error.Message.Should().Contain(says);
        File.GetUnixFileMode(path).Should().Be(before);
    }

    private string At(string relative) => Path.Combine(_root, relative);

    private static void WriteSecret(string path)
    {
        File.WriteAllText(path, "secret");
        File.SetUnixFileMode(path, Secret);
    }

    private static Task<FilesDone> Call<T>(JsonRpcPeer core, string method, T request, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        core.RequestAsync(method, request, type, ProtocolJsonContext.Default.FilesDone);

    /// <summary>Refused because the path goes through a link, not for some other reason.</summary>
    private static async Task RefusedAsync<T>(Task<T> call)
    {
        var error = await Refusal(call);
        error.Code.Should().Be(JsonRpcErrorCodes.OperationFailed);
        error.ErrorData.Should().Be(FilesErrorReasons.Symlink, error.Message);
        error.Message.Should().Contain("symbolic link");
    }

    private static async Task<JsonRpcException> Refusal<T>(Task<T> call) =>
        (await ((Func<Task>)(() => call)).Should().ThrowAsync<JsonRpcException>()).Which;

    private async Task<JsonRpcPeer> ConnectAsync(bool specialModes = false)
    {
        var (coreSocket, nodeSocket) = await LoopbackWebSockets.CreatePairAsync();
        _sockets.AddRange([coreSocket, nodeSocket]);

        var settings = new NodeSettings
        {
            Core = new Uri("http://127.0.0.1:1"),
            DataDir = Path.GetTempPath(),
            Allow = new HashSet<string>([Capabilities.Files], StringComparer.Ordinal),
            FileRoots = [_root],
            FileSpecialModes = specialModes,
        };
        var context = new SessionContext(settings, new StreamDialer(settings.Core, "n1", "secret"), _session.Token);
        var nodeMethods = new JsonRpcMethods();
        new FilesFeature(settings).Register(nodeMethods, context);
        var node = new JsonRpcPeer(nodeSocket, nodeMethods);
        context.Peer = node;
        var core = new JsonRpcPeer(coreSocket, new JsonRpcMethods());
        _ = node.RunAsync(_session.Token);
        _ = core.RunAsync(_session.Token);
        return core;
    }
}

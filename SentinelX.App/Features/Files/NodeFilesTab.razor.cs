using System.Text;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.JSInterop;
using SentinelX.App.Features.Audit;
using SentinelX.App.Features.Auth;
using SentinelX.App.Features.Nodes;
using SentinelX.App.Features.Layout;
using SentinelX.Shared.Protocol;
using SentinelX.App.Ui;

namespace SentinelX.App.Features.Files;

public sealed partial class NodeFilesTab
{
    /// <summary>Bigger files are downloaded, not edited in the page.</summary>
    public const int MaxEditBytes = 1024 * 1024;

    private enum Panel { None, Mkdir, Rename, Chmod, Delete, Edit }

    private sealed class Upload(string name, long total)
    {
        public string Name => name;
        public long Total => total;
        public long Sent { get; set; }
        public double Rate { get; set; }
        public double Percent => total == 0 ? 100 : 100.0 * Sent / total;
    }

    [Parameter, EditorRequired] public NodeState Node { get; set; } = default!;
    [CascadingParameter] private Task<AuthenticationState>? AuthState { get; set; }

    [Inject] private FilesService Files { get; set; } = default!;
    [Inject] private IAuthorizationService Authorization { get; set; } = default!;
    [Inject] private CircuitClient Client { get; set; } = default!;
    [Inject] private BrowserClock Clock { get; set; } = default!;
    [Inject] private IJSRuntime JS { get; set; } = default!;
    [Inject] private AntiforgeryStateProvider Antiforgery { get; set; } = default!;

    private FilesListResult? listing;
    private string path = "/";
    private string pathInput = "/";
    private bool busy;
    private string? message;
    private bool messageIsError;
    private NodeFailure? failure;
    private Panel panel;
    private FileEntry? target;
    private string panelText = "";
    private bool needsRecursive, recursiveConfirmed;
    private readonly Dictionary<string, Upload> uploads = new(StringComparer.Ordinal);

    private ElementReference fileInput, dropZone;
    private IJSObjectReference? module, uploader;
    private DotNetObjectReference<NodeFilesTab>? self;

    private string Target => target is null ? path : Join(target.Name);

    private string PanelTitle => panel switch
    {
        Panel.Mkdir => T["New folder"],
        Panel.Rename => T.Format("Rename {0}", Target),
        Panel.Chmod => T.Format("Permissions of {0}", Target),
        Panel.Delete => T["Delete"],
        Panel.Edit => T.Format("Edit {0}", Target),
        _ => "",
    };

    private string PanelAction => panel switch
    {
        Panel.Mkdir => T["Create"],
        Panel.Rename => T["Rename"],
        Panel.Chmod => T["Apply"],
        Panel.Delete => T["Delete"],
        Panel.Edit => T["Save"],
        _ => "",
    };

    // "" asks the Node for its first allowed root, which need not be "/".
    protected override Task OnInitializedAsync() => OpenAsync("");

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!firstRender) return;
        module = await JS.InvokeAsync<IJSObjectReference>("import", "./js/files.js");
        self = DotNetObjectReference.Create(this);
        var token = Antiforgery.GetAntiforgeryToken()?.Value ?? "";
        uploader = await module.InvokeAsync<IJSObjectReference>("attach", dropZone, fileInput, self, $"/ui/files/{Uri.EscapeDataString(Node.Id)}", token);
        await uploader.InvokeVoidAsync("setDirectory", path);
    }

    private async Task OpenAsync(string target)
    {
        var result = await RunAsync(null, target, (node, c) => c.ListAsync(node, target, CancellationToken.None), clearMessage: false);
        if (!result.Succeeded) return;
        listing = result.Value;
        path = pathInput = listing.Path;
        if (messageIsError) message = null;
        panel = Panel.None;
        if (uploader is not null) await uploader.InvokeVoidAsync("setDirectory", path);
    }

    private void Show(Panel which, FileEntry? entry)
    {
        panel = which;
        target = entry;
        needsRecursive = recursiveConfirmed = false;
        panelText = which switch
        {
            Panel.Rename => entry?.Name ?? "",
            Panel.Chmod => entry?.Mode ?? "",
            _ => "",
        };
    }

    private async Task ApplyAsync()
    {
        var name = panelText.Trim();
        switch (panel)
        {
            case Panel.Mkdir when ValidName(name):
                if ((await RunAsync(AuditActions.FileMkdir, Join(name), (node, c) => c.MkdirAsync(node, Join(name), CancellationToken.None))).Succeeded)
                    await RefreshAsync(T.Format("Created {0}", Join(name)));
                break;
            case Panel.Rename when ValidName(name):
                var from = Target;
                if ((await RunAsync(AuditActions.FileRename, from, (node, c) => c.RenameAsync(node, from, Join(name), CancellationToken.None), "to " + Join(name))).Succeeded)
                    await RefreshAsync(T.Format("Renamed to {0}", Join(name)));
                break;
            case Panel.Chmod:
                var mode = name;
                if ((await RunAsync(AuditActions.FileChmod, Target, (node, c) => c.ChmodAsync(node, Target, mode, CancellationToken.None), "mode " + mode)).Succeeded)
                    await RefreshAsync(T.Format("Permissions of {0} set to {1}", Target, mode));
                break;
            case Panel.Delete:
                await DeleteAsync();
                break;
            case Panel.Edit:
                await SaveAsync();
                break;
        }
    }

    /// <summary>A plain delete first; a non-empty folder asks again, explicitly, before deleting recursively.</summary>
    private async Task DeleteAsync()
    {
        var doomed = Target;
        var recursive = needsRecursive && recursiveConfirmed;
        // A plain delete of a folder with something in it is a conflict: ask about recursion instead of failing.
        var deleted = await RunAsync(AuditActions.FileDelete, doomed, (node, c) => c.DeleteAsync(node, doomed, recursive, CancellationToken.None),
            recursive ? "recursive" : null, quietConflict: !recursive);
        if (deleted.Succeeded) await RefreshAsync(T.Format("Deleted {0}", doomed));
        else if (deleted.Failure.Kind == NodeFailureKind.Conflict && !recursive) needsRecursive = true;
    }

    private async Task EditAsync(FileEntry entry)
    {
        Show(Panel.None, null);
        if (entry.Size > MaxEditBytes)
        {
            Fail(T.Format("{0} is larger than {1}; download it instead.", entry.Name, "1 MB"));
            return;
        }

        var file = Join(entry.Name);
        var read = await RunAsync(AuditActions.FileRead, file, async (node, c) =>
        {
            var opened = await c.OpenReadAsync(node, file, 0, CancellationToken.None);
            if (!opened.Succeeded) return opened.Failure;
            using var download = opened.Value;
            if (download.Length > MaxEditBytes) return new NodeFailure(NodeFailureKind.Unprocessable, "Too large", $"{file} is larger than 1 MB");
            var buffer = new MemoryStream((int)download.Length);
            await download.CopyToAsync(buffer, CancellationToken.None);
            return (NodeResult<byte[]>)buffer.ToArray();
        }, null);
        if (!read.Succeeded) return;
        var bytes = read.Value;
        if (Array.IndexOf(bytes, (byte)0) >= 0 || !TryDecode(bytes, out var text))
        {
            Fail(T.Format("{0} is not a text file; download it instead.", entry.Name));
            return;
        }

        Show(Panel.Edit, entry);
        panelText = text;
    }

    private async Task SaveAsync()
    {
        var file = Target;
        var bytes = Encoding.UTF8.GetBytes(panelText);
        var saved = await RunAsync(AuditActions.FileWrite, file,
            (node, c) => c.WriteAsync(node, file, 0, new MemoryStream(bytes), CancellationToken.None),
            $"{bytes.Length} bytes (edited)");
        if (saved.Succeeded) await RefreshAsync(T.Format("Saved {0}", file));
    }

    [JSInvokable]
    public Task OnUploadProgress(string name, long sent, long total, double rate) => InvokeAsync(() =>
    {
        if (!uploads.TryGetValue(name, out var upload)) uploads[name] = upload = new Upload(name, total);
        upload.Sent = sent;
        upload.Rate = rate;
        StateHasChanged();
    });

    [JSInvokable]
    public Task OnUploadDone(string name, string file, long size, string? error) => InvokeAsync(async () =>
    {
        uploads.Remove(name);
        if (error is null) await RefreshAsync(T.Format("Uploaded {0} ({1})", file, Units.Bytes(size)));
        else Fail(T.Format("Upload of {0} failed: {1}", name, error));
        StateHasChanged();
    });

    private async Task RefreshAsync(string done)
    {
        await OpenAsync(path);
        panel = Panel.None;
        message = done;
        messageIsError = false;
    }

    /// <summary>
    /// Checks the role (a crafted circuit message can call any handler), then runs the operation
    /// through <see cref="FilesService"/>, which checks both locks and audits when there is an action.
    /// A failure is shown, except a conflict when <paramref name="quietConflict"/> (the caller asks instead).
    /// </summary>
    private async Task<NodeResult<TResult>> RunAsync<TResult>(string? action, string target, Func<NodeState, FilesClient, Task<NodeResult<TResult>>> operation,
        string? detail = null, bool clearMessage = true, bool quietConflict = false)
    {
        if (!await CircuitAuthorization.IsAllowedAsync(Authorization, AuthState, Policies.Operator))
            return Fail(new NodeFailure(NodeFailureKind.Forbidden, T["Not allowed"], T["Only operators and administrators can use files."]));

        if (clearMessage) message = null;
        busy = true;
        try
        {
            var user = (await AuthState!).User;
            var result = await Files.RunAsync(Node, AuditActor.From(user, Client.Address), action, target, c => operation(Node, c), _ => detail);
            if (!result.Succeeded && !(quietConflict && result.Failure.Kind == NodeFailureKind.Conflict)) Fail(result.Failure);
            return result;
        }
        catch (IOException ex)
        {
            // A transfer that broke half-way (the Node stopped sending).
            return Fail(new NodeFailure(NodeFailureKind.NodeError, T["Transfer failed"], ex.Message));
        }
        finally
        {
            busy = false;
        }
    }

    private bool ValidName(string name)
    {
        if (name.Length > 0 && name is not "." and not ".." && !name.Contains('/') && !name.Contains('\0')) return true;
        Fail(T["A name cannot be empty, . or .., or contain /."]);
        return false;
    }

    private void Fail(string text)
    {
        message = text;
        messageIsError = true;
        failure = null;
    }

    private NodeFailure Fail(NodeFailure shown)
    {
        Fail(shown.Detail);
        failure = shown;
        return shown;
    }

    private static bool TryDecode(byte[] bytes, out string text)
    {
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            text = "";
            return false;
        }
    }

    private string Join(string name) => FilesPath.Join(path, name);

    private static string Parent(string directory) => FilesPath.Parent(directory);

    private IEnumerable<(string Label, string Target)> Crumbs() => FilesPath.Crumbs(path);

    private string DownloadUrl(string name) => $"/ui/files/{Uri.EscapeDataString(Node.Id)}/content?path={Uri.EscapeDataString(Join(name))}";

    private static string Icon(FileEntry entry) => entry.Type switch
    {
        "symlink" => "link",
        "other" => "settings_input_component",
        _ => "description",
    };

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (uploader is not null)
            {
                await uploader.InvokeVoidAsync("dispose");
                await uploader.DisposeAsync();
            }

            if (module is not null) await module.DisposeAsync();
        }
        catch (JSDisconnectedException)
        {
            // The circuit is gone; the browser dropped everything already.
        }

        self?.Dispose();
    }
}

/// <summary>Path arithmetic for the tab (the Node normalizes again and is the one that decides).</summary>
public static class FilesPath
{
    public static string Join(string directory, string name) => directory.EndsWith('/') ? directory + name : directory + "/" + name;

    public static string Parent(string directory)
    {
        var cut = directory.TrimEnd('/').LastIndexOf('/');
        return cut <= 0 ? "/" : directory[..cut];
    }

    /// <summary>"/", then one crumb per directory down to <paramref name="path"/>.</summary>
    public static IEnumerable<(string Label, string Target)> Crumbs(string path)
    {
        yield return ("/", "/");
        var at = "";
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            at += "/" + part;
            yield return (part, at);
        }
    }
}

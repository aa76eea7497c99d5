using SentinelX.Node.Config;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Remote;

/// <summary>
/// The <c>files</c> capability: listing, mkdir, rename, delete and chmod here; the byte transfers in
/// <see cref="FilesTransfers"/>. Every path goes through <see cref="FilesPaths"/> first.
/// </summary>
internal sealed class FilesFeature(NodeSettings settings) : INodeFeature
{
    private readonly FilesPaths _paths = new(settings.FileRoots);

    public void Register(JsonRpcMethods methods, SessionContext session)
    {
        var json = ProtocolJsonContext.Default;
        var transfers = new FilesTransfers(_paths, session);
        methods
            .OnRequest(Methods.FilesList, json.FilesListParams, json.FilesListResult, (p, _) => Run(session, () => List(p)))
            .OnRequest(Methods.FilesMkdir, json.FilesMkdirParams, json.FilesDone, (p, _) => Run(session, () => Mkdir(p)))
            .OnRequest(Methods.FilesRename, json.FilesRenameParams, json.FilesDone, (p, _) => Run(session, () => Rename(p)))
            .OnRequest(Methods.FilesDelete, json.FilesDeleteParams, json.FilesDone, (p, _) => Run(session, () => Delete(p)))
            .OnRequest(Methods.FilesChmod, json.FilesChmodParams, json.FilesDone, (p, _) => Run(session, () => Chmod(p)))
            .OnRequest(Methods.FilesRead, json.FilesReadParams, json.FilesReadResult, (p, _) => Run(session, () => transfers.StartRead(p)))
            .OnRequest(Methods.FilesWrite, json.FilesWriteParams, json.FilesWriteAccepted, (p, _) => Run(session, () => transfers.StartWrite(p)));
    }

    /// <summary>Checks the Node's own lock, then turns the file system's exceptions into JSON-RPC errors.</summary>
    private static ValueTask<T> Run<T>(SessionContext session, Func<T> operation)
    {
        session.Demand(Capabilities.Files);
        try
        {
            return ValueTask.FromResult(operation());
        }
        catch (Exception ex) when (ToError(ex) is { } error)
        {
            throw error;
        }
    }

    /// <summary>The JSON-RPC error for an exception the operating system raised; null for anything else.</summary>
    public static JsonRpcException? ToError(Exception ex) => ex switch
    {
        JsonRpcException => null,
        FileNotFoundException or DirectoryNotFoundException => new JsonRpcException(JsonRpcErrorCodes.NotFound, ex.Message),
        UnauthorizedAccessException => FilesPaths.Refused(FilesErrorReasons.Permission, ex.Message),
        IOException => new JsonRpcException(JsonRpcErrorCodes.OperationFailed, ex.Message),
        _ => null,
    };

    private FilesListResult List(FilesListParams p)
    {
        // An empty path means "where browsing starts": the first allowed root.
        var directory = _paths.Resolve(p.Path.Length == 0 ? _paths.Roots[0] : p.Path, followLast: true);
        var stat = Lstat(directory);
        if (!stat.IsDirectory) throw FilesPaths.Refused(FilesErrorReasons.NotAFile, $"{directory} is not a directory");

        var owners = FilesOwners.Load();
        var entries = new List<FileEntry>();
        var truncated = false;
        foreach (var info in new DirectoryInfo(directory).EnumerateFileSystemInfos())
        {
            if (entries.Count == FilesListResult.MaxEntries)
            {
                truncated = true;
                break;
            }

            // Gone between readdir and statx: skip it, the listing is a snapshot anyway.
            if (!FilesNative.TryLstat(info.FullName, out var entry, out _)) continue;
            entries.Add(new FileEntry
            {
                Name = info.Name,
                Type = entry.Type,
                Size = entry.Size,
                Mode = FormatMode(entry.Permissions),
                Owner = owners.User(entry.Uid),
                Group = owners.Group(entry.Gid),
                Mtime = entry.MtimeMs,
                Target = entry.IsSymlink ? info.LinkTarget : null,
            });
        }

        entries.Sort((a, b) => (a.Type == "dir") != (b.Type == "dir") ? (a.Type == "dir" ? -1 : 1) : string.CompareOrdinal(a.Name, b.Name));
        return new FilesListResult { Path = directory, Entries = entries, Truncated = truncated };
    }

    private FilesDone Mkdir(FilesMkdirParams p)
    {
        var path = _paths.Resolve(p.Path, followLast: false);
        if (FilesNative.TryLstat(path, out _, out _)) throw FilesPaths.Refused(FilesErrorReasons.Exists, $"{path} already exists");
        Directory.CreateDirectory(path);
        return new FilesDone { Path = path };
    }

    private FilesDone Rename(FilesRenameParams p)
    {
        var from = _paths.Resolve(p.From, followLast: false);
        var to = _paths.Resolve(p.To, followLast: false);
        _paths.DemandNotRoot(from, "renamed");
        var stat = Lstat(from);
        if (FilesNative.TryLstat(to, out _, out _)) throw FilesPaths.Refused(FilesErrorReasons.Exists, $"{to} already exists");
        if (stat.IsDirectory) Directory.Move(from, to);
        else File.Move(from, to);
        return new FilesDone { Path = to };
    }

    private FilesDone Delete(FilesDeleteParams p)
    {
        var path = _paths.Resolve(p.Path, followLast: false);
        _paths.DemandNotRoot(path, "deleted");
        var stat = Lstat(path);
        if (stat.IsDirectory)
        {
            if (!p.Recursive && Directory.EnumerateFileSystemEntries(path).Any())
                throw FilesPaths.Refused(FilesErrorReasons.NotEmpty, $"{path} is not empty; delete it recursively to remove everything in it");
            // Recursive delete removes links inside, never what they point to.
            Directory.Delete(path, p.Recursive);
        }
        else
        {
            File.Delete(path);
        }

        return new FilesDone { Path = path };
    }

    private FilesDone Chmod(FilesChmodParams p)
    {
        var mode = ParseMode(p.Mode);
        var path = _paths.Resolve(p.Path, followLast: true);
        Lstat(path);
        File.SetUnixFileMode(path, (UnixFileMode)mode);
        return new FilesDone { Path = path };
    }

    private static FileStat Lstat(string path) =>
        FilesNative.TryLstat(path, out var stat, out var errno) ? stat
        : errno == FilesNative.EACCES ? throw FilesPaths.Refused(FilesErrorReasons.Permission, $"permission denied: {path}")
        : throw new JsonRpcException(JsonRpcErrorCodes.NotFound, $"no such file or directory: {path}");

    public static string FormatMode(uint permissions) => Convert.ToString(permissions, 8).PadLeft(4, '0');

    /// <summary>Octal permission bits, "644" to "7777"; anything else is a bad request.</summary>
    public static uint ParseMode(string mode)
    {
        var text = mode.Trim();
        if (text.Length is < 3 or > 4 || text.Any(c => c is < '0' or > '7'))
            throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, $"mode must be 3 or 4 octal digits such as 0644 or 755, not \"{mode}\"");
        return Convert.ToUInt32(text, 8);
    }
}

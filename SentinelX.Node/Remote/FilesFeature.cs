using Microsoft.Win32.SafeHandles;
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
        var transfers = new FilesTransfers(_paths, session, settings.FileSpecialModes);
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
        using var directory = OpenDirectory(p.Path.Length == 0 ? _paths.Roots[0] : p.Path, out var at);
        var names = FilesNative.ReadDirectory(directory, FilesListResult.MaxEntries + 1, out var errno);
        if (errno != 0) throw FilesPaths.Failure(errno, at.Full);

        var owners = FilesOwners.Load();
        var entries = new List<FileEntry>(Math.Min(names.Count, FilesListResult.MaxEntries));
        foreach (var name in names.Take(FilesListResult.MaxEntries))
        {
            // Gone between readdir and statx: skip it, the listing is a snapshot anyway.
            if (!FilesNative.TryStatAt(directory, name, out var entry, out _)) continue;
            entries.Add(new FileEntry
            {
                Name = name,
                Type = entry.Type,
                Size = entry.Size,
                Mode = FormatMode(entry.Permissions),
                Owner = owners.User(entry.Uid),
                Group = owners.Group(entry.Gid),
                Mtime = entry.MtimeMs,
                // Shown, never followed: opening it is refused like any path through a link.
                Target = entry.IsSymlink ? FilesNative.ReadLinkAt(directory, name) : null,
            });
        }

        entries.Sort((a, b) => (a.Type == "dir") != (b.Type == "dir") ? (a.Type == "dir" ? -1 : 1) : string.CompareOrdinal(a.Name, b.Name));
        return new FilesListResult { Path = at.Full, Entries = entries, Truncated = names.Count > FilesListResult.MaxEntries };
    }

    /// <summary>Opens a directory for reading its entries; anything else is "not a directory", decided on the same inode.</summary>
    private SafeFileHandle OpenDirectory(string path, out FilesPaths.Located at)
    {
        using var handle = _paths.Open(path, FilesNative.OPath, out at);
        if (!FilesNative.TryFstat(handle, out var stat, out var errno)) throw FilesPaths.Failure(errno, at.Full);
        if (!stat.IsDirectory) throw FilesPaths.Refused(FilesErrorReasons.NotAFile, $"{at.Full} is not a directory");
        var directory = FilesNative.OpenAt(handle, ".", FilesNative.ORdOnly | FilesNative.ODirectory, out errno);
        if (!directory.IsInvalid) return directory;
        directory.Dispose();
        throw FilesPaths.Failure(errno, at.Full);
    }

    private FilesDone Mkdir(FilesMkdirParams p)
    {
        var (parent, name, at) = _paths.OpenParent(p.Path, "created");
        using (parent)
            Check(FilesNative.MkdirAt(parent, name, 0x1FF), at.Full); // 0777 less the umask, as mkdir(1)
        return new FilesDone { Path = at.Full };
    }

    private FilesDone Rename(FilesRenameParams p)
    {
        var (fromParent, fromName, from) = _paths.OpenParent(p.From, "renamed");
        using (fromParent)
        {
            var (toParent, toName, to) = _paths.OpenParent(p.To, "replaced");
            using (toParent)
            {
                if (!FilesNative.TryStatAt(fromParent, fromName, out _, out var errno)) throw FilesPaths.Failure(errno, from.Full);
                // A link is renamed as the link; the kernel decides "exists" atomically.
                var renamed = FilesNative.RenameAt(fromParent, fromName, toParent, toName, noReplace: true);
                if (renamed == FilesNative.EXDEV)
                    throw new JsonRpcException(JsonRpcErrorCodes.OperationFailed, $"{from.Full} and {to.Full} are on different file systems; a rename cannot move between them");
                Check(renamed, to.Full);
            }

            return new FilesDone { Path = to.Full };
        }
    }

    private FilesDone Delete(FilesDeleteParams p)
    {
        var (parent, name, at) = _paths.OpenParent(p.Path, "deleted");
        using (parent)
        {
            if (!FilesNative.TryStatAt(parent, name, out var stat, out var errno)) throw FilesPaths.Failure(errno, at.Full);
            if (stat.IsDirectory)
            {
                using (var directory = OpenDirectory(at.Full, out _))
                {
                    if (p.Recursive) DeleteContents(directory, at.Full);
                    else if (FilesNative.ReadDirectory(directory, 1, out _).Count > 0)
                        throw FilesPaths.Refused(FilesErrorReasons.NotEmpty, $"{at.Full} is not empty; delete it recursively to remove everything in it");
                }

                Check(FilesNative.UnlinkAt(parent, name, isDirectory: true), at.Full);
            }
            else
            {
                // A link is removed as the link; what it points to is never touched.
                Check(FilesNative.UnlinkAt(parent, name, isDirectory: false), at.Full);
            }
        }

        return new FilesDone { Path = at.Full };
    }

    /// <summary>Empties a directory through descriptors: subdirectories are opened with O_NOFOLLOW, links are unlinked as links.</summary>
    private static void DeleteContents(SafeFileHandle directory, string path)
    {
        var names = FilesNative.ReadDirectory(directory, int.MaxValue, out var errno);
        if (errno != 0) throw FilesPaths.Failure(errno, path);
        foreach (var name in names)
        {
            var child = FilesPaths.Join(path, name);
            if (!FilesNative.TryStatAt(directory, name, out var stat, out errno))
            {
                if (errno == FilesNative.ENOENT) continue;
                throw FilesPaths.Failure(errno, child);
            }

            if (stat.IsDirectory)
            {
#pragma warning disable CA2000 // the using statement disposes it; the analyzer loses it through the out argument
                using (var sub = FilesNative.OpenAt(directory, name, FilesNative.ORdOnly | FilesNative.ODirectory | FilesNative.ONofollow, out errno))
#pragma warning restore CA2000
                {
                    if (sub.IsInvalid) throw FilesPaths.Failure(errno, child);
                    DeleteContents(sub, child);
                }
            }

            errno = FilesNative.UnlinkAt(directory, name, stat.IsDirectory);
            if (errno is not (0 or FilesNative.ENOENT)) throw FilesPaths.Failure(errno, child);
        }
    }

    private FilesDone Chmod(FilesChmodParams p)
    {
        var mode = ParseMode(p.Mode);
        if ((mode & SpecialBits) != 0 && !settings.FileSpecialModes)
            throw FilesPaths.Refused(FilesErrorReasons.Permission,
                $"mode {p.Mode.Trim()} sets setuid, setgid or sticky bits, which this Node refuses (set \"fileSpecialModes\": true in its config to allow them)");
        // O_PATH: no read access needed and no side effects of opening a device; the mode lands on exactly this inode.
        using var file = _paths.Open(p.Path, FilesNative.OPath, out var at);
        Check(FilesNative.ChmodHandle(file, mode), at.Full);
        return new FilesDone { Path = at.Full };
    }

    private static void Check(int errno, string path)
    {
        if (errno != 0) throw FilesPaths.Failure(errno, path);
    }

    /// <summary>setuid 4000, setgid 2000, sticky 1000.</summary>
    public const uint SpecialBits = 0xE00;

    public static string FormatMode(uint permissions) => Convert.ToString(permissions, 8).PadLeft(4, '0');

    /// <summary>Octal permission bits, "644" to "7777" (a leading 0 allowed); anything else is a bad request.</summary>
    public static uint ParseMode(string mode)
    {
        var text = mode.Trim();
        if (text.Length is < 3 or > 5 || text.Any(c => c is < '0' or > '7'))
            throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, $"mode must be 3 or 4 octal digits such as 0644 or 755, not \"{mode}\"");
        var bits = Convert.ToUInt32(text, 8);
        if (bits > 0xFFF)
            throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, $"mode {text} is over 07777: only permission, setuid, setgid and sticky bits can be set");
        return bits;
    }
}

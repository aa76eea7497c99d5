using Microsoft.Win32.SafeHandles;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Remote;

/// <summary>
/// The allowed roots from the Node's config (<c>fileRoots</c>). Every path the Core sends is
/// normalized, assigned to the root it lies in, and opened beneath that root's descriptor with
/// openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS): no component may be a symlink, so a local user who
/// swaps a file or directory for a link between the operator's look and the action gains nothing.
/// Operations then act on the descriptor (or on a name inside an open parent directory), never on
/// the path again.
/// </summary>
/// <param name="walk">Use the O_NOFOLLOW component walk even where openat2 exists (tests cover both).</param>
internal sealed class FilesPaths(IReadOnlyList<string> roots, bool walk = false)
{
    public const int MaxPathLength = 4096;

    public IReadOnlyList<string> Roots => roots;

    /// <summary>The normalized path, the configured root it lies in and the rest of it relative to that root ("" for the root itself).</summary>
    public readonly record struct Located(string Full, string Root, string Relative);

    /// <summary>Normalizes <paramref name="path"/> and finds its root; paths under no root are refused without touching the disk.</summary>
    /// <exception cref="JsonRpcException">Bad path (-32602) or outside the roots (-32012).</exception>
    public Located Locate(string path)
    {
        var full = Normalize(path);
        Located? best = null;
        foreach (var root in roots)
        {
            // A root that is itself a symlink (/var/run) also matches the paths it points to.
            foreach (var prefix in (string[])[root, FilesNative.TryLstat(root, out var st, out _) && st.IsSymlink ? Path.GetFullPath(ResolveLink(root)) : root])
            {
                var relative = prefix == "/" ? full[1..]
                    : full == prefix ? ""
                    : full.StartsWith(prefix + "/", StringComparison.Ordinal) ? full[(prefix.Length + 1)..]
                    : null;
                // The most specific root wins: its descriptor is the tightest bound.
                if (relative is not null && (best is null || relative.Length < best.Value.Relative.Length))
                    best = new Located(full, root, relative);
            }
        }

        return best ?? throw Refused(FilesErrorReasons.OutsideRoots, $"{full} is outside the allowed roots ({string.Join(", ", roots)})");
    }

    /// <summary>Opens <paramref name="path"/> itself with <paramref name="flags"/>; a symlink anywhere in it is refused.</summary>
    public SafeFileHandle Open(string path, int flags, out Located at, uint mode = 0)
    {
        at = Locate(path);
        return Open(at, flags, mode);
    }

    public SafeFileHandle Open(Located at, int flags, uint mode = 0)
    {
        using var root = OpenRoot(at);
        var handle = FilesNative.OpenBeneath(root, at.Relative, flags, mode, walk, out var errno);
        if (!handle.IsInvalid) return handle;
        handle.Dispose();
        throw Failure(errno, at.Full);
    }

    /// <summary>
    /// The parent directory of <paramref name="path"/>, opened (O_PATH) beneath the root, and the last
    /// name: for operations on a name itself (mkdir, rename, delete, a new upload) through the *at calls.
    /// A root itself has no parent here: it can be neither removed nor renamed.
    /// </summary>
    public (SafeFileHandle Directory, string Name, Located At) OpenParent(string path, string what)
    {
        var at = Locate(path);
        if (at.Relative.Length == 0) throw Refused(FilesErrorReasons.Permission, $"{at.Full} is an allowed root; it cannot be {what}");
        var slash = at.Relative.LastIndexOf('/');
        var parent = at with { Relative = slash < 0 ? "" : at.Relative[..slash] };
        return (Open(parent, FilesNative.OPath | FilesNative.ODirectory), at.Relative[(slash + 1)..], at);
    }

    private static SafeFileHandle OpenRoot(Located at)
    {
        var root = FilesNative.OpenRoot(at.Root, out var errno);
        if (root.IsInvalid) throw Failure(errno, at.Root);
        return root;
    }

    /// <summary>The JSON-RPC error for an errno from opening or acting on <paramref name="path"/>.</summary>
    public static JsonRpcException Failure(int errno, string path) => errno switch
    {
        FilesNative.ELOOP => Refused(FilesErrorReasons.Symlink, $"{path} goes through a symbolic link; file operations never follow links"),
        FilesNative.EXDEV => Refused(FilesErrorReasons.OutsideRoots, $"{path} leaves its allowed root"),
        FilesNative.ENOENT => new JsonRpcException(JsonRpcErrorCodes.NotFound, $"no such file or directory: {path}"),
        FilesNative.ENOTDIR => new JsonRpcException(JsonRpcErrorCodes.NotFound, $"a parent of {path} is not a directory"),
        FilesNative.EACCES or FilesNative.EPERM => Refused(FilesErrorReasons.Permission, $"permission denied: {path}"),
        FilesNative.EEXIST => Refused(FilesErrorReasons.Exists, $"{path} already exists"),
        FilesNative.ENOTEMPTY => Refused(FilesErrorReasons.NotEmpty, $"{path} is not empty; delete it recursively to remove everything in it"),
        FilesNative.EISDIR => Refused(FilesErrorReasons.NotAFile, $"{path} is a directory"),
        _ => new JsonRpcException(JsonRpcErrorCodes.OperationFailed, $"{path}: {new IOException(null, errno).Message} (errno {errno})"),
    };

    /// <summary>Absolute, no NUL, <c>.</c> and <c>..</c> applied lexically, no trailing slash.</summary>
    public static string Normalize(string path)
    {
        if (string.IsNullOrEmpty(path)) throw BadPath("path is required");
        if (path.Length > MaxPathLength) throw BadPath($"path is longer than {MaxPathLength} characters");
        if (path.Contains('\0')) throw BadPath("path contains a NUL character");
        if (path[0] != '/') throw BadPath($"path must be absolute (start with /): {path}");
        var full = Path.GetFullPath(path);
        return full.Length > 1 ? Path.TrimEndingDirectorySeparator(full) : full;
    }

    public static string Join(string directory, string name) => directory == "/" ? "/" + name : directory + "/" + name;

    public static JsonRpcException Refused(string reason, string message) =>
        new(JsonRpcErrorCodes.OperationFailed, message, reason);

    private static string ResolveLink(string root) =>
        new FileInfo(root).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? root;

    private static JsonRpcException BadPath(string message) => new(JsonRpcErrorCodes.InvalidParams, message);
}

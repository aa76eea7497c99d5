using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Remote;

/// <summary>
/// The allowed roots from the Node's config (<c>fileRoots</c>, default <c>/</c>). Every path the Core
/// sends is normalized, its symlinks resolved with realpath, and the result must lie inside a root:
/// <c>..</c>, and symlinks pointing out of a root, end up outside and are refused.
/// </summary>
internal sealed class FilesPaths(IReadOnlyList<string> roots)
{
    public const int MaxPathLength = 4096;

    public IReadOnlyList<string> Roots => roots;

    /// <summary>
    /// The real path <paramref name="path"/> names. The parent is always resolved; the last component
    /// is followed only when <paramref name="followLast"/> (reading, listing, chmod, writing through a
    /// link), not when the operation acts on the link itself (delete, rename, mkdir).
    /// </summary>
    /// <exception cref="JsonRpcException">Bad path (-32602), missing parent (-32011) or outside the roots (-32012).</exception>
    public string Resolve(string path, bool followLast)
    {
        var full = Normalize(path);
        string resolved;
        if (full == "/")
        {
            resolved = "/";
        }
        else
        {
            var parent = Path.GetDirectoryName(full)!;
            var realParent = FilesNative.RealPath(parent, out var errno);
            if (realParent is null)
            {
                // Say "outside" rather than "missing" for paths no root covers, so nothing leaks about them.
                if (RootOf(full) is null) throw OutsideRoots(full, full);
                throw errno == FilesNative.EACCES
                    ? Refused(FilesErrorReasons.Permission, $"permission denied: {parent}")
                    : new JsonRpcException(JsonRpcErrorCodes.NotFound, $"no such directory: {parent}");
            }

            resolved = Join(realParent, Path.GetFileName(full));
            if (followLast && FilesNative.TryLstat(resolved, out var stat, out _) && stat.IsSymlink)
            {
                resolved = FilesNative.RealPath(resolved, out _)
                    ?? throw new JsonRpcException(JsonRpcErrorCodes.NotFound, $"{full} is a symlink to something that does not exist");
            }
        }

        if (RootOf(resolved) is null) throw OutsideRoots(full, resolved);
        return resolved;
    }

    private JsonRpcException OutsideRoots(string full, string resolved) => Refused(FilesErrorReasons.OutsideRoots, resolved == full
        ? $"{full} is outside the allowed roots ({string.Join(", ", roots)})"
        : $"{full} resolves to {resolved}, outside the allowed roots ({string.Join(", ", roots)})");

    /// <summary>Refuses to remove or rename a root itself (or <c>/</c>).</summary>
    public void DemandNotRoot(string resolved, string what)
    {
        if (resolved == "/" || roots.Any(r => RealRoot(r) == resolved))
            throw Refused(FilesErrorReasons.Permission, $"{resolved} is an allowed root; it cannot be {what}");
    }

    /// <summary>The root containing <paramref name="resolved"/>, or null.</summary>
    private string? RootOf(string resolved)
    {
        foreach (var root in roots)
        {
            var real = RealRoot(root);
            if (real == "/" || resolved == real || resolved.StartsWith(real + "/", StringComparison.Ordinal)) return root;
        }

        return null;
    }

    /// <summary>A root that is itself a symlink (<c>/var/run</c>) is compared by where it points.</summary>
    private static string RealRoot(string root) => FilesNative.RealPath(root, out _) ?? root;

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

    private static JsonRpcException BadPath(string message) => new(JsonRpcErrorCodes.InvalidParams, message);
}

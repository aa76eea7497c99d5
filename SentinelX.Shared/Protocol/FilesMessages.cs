namespace SentinelX.Shared.Protocol;

/// <summary>Core → Node: list a directory (a path through a symlink is refused; links inside are listed, not followed).</summary>
public sealed record FilesListParams
{
    public required string Path { get; init; }
}

/// <summary>One directory entry, as <c>lstat</c> sees it (a symlink is reported as the link, with its target).</summary>
public sealed record FileEntry
{
    public required string Name { get; init; }

    /// <summary>"file", "dir", "symlink" or "other" (devices, sockets, fifos).</summary>
    public required string Type { get; init; }

    public required long Size { get; init; }

    /// <summary>Permission bits as an octal string, e.g. "0644" or "4755".</summary>
    public required string Mode { get; init; }

    public required string Owner { get; init; }
    public required string Group { get; init; }

    /// <summary>Last modification, unix ms.</summary>
    public required long Mtime { get; init; }

    /// <summary>Where a symlink points, as stored in the link; null for anything else.</summary>
    public string? Target { get; init; }
}

/// <summary>A directory's entries: <see cref="Path"/> is the normalized path of the directory.</summary>
public sealed record FilesListResult
{
    /// <summary>At most this many entries are listed, so a listing always fits in one message.</summary>
    public const int MaxEntries = 4000;

    public required string Path { get; init; }
    public required IReadOnlyList<FileEntry> Entries { get; init; }

    /// <summary>True when the directory has more than <see cref="MaxEntries"/> entries and the rest were left out.</summary>
    public bool Truncated { get; init; }
}

/// <summary>Core → Node: create one directory (its parent must exist).</summary>
public sealed record FilesMkdirParams
{
    public required string Path { get; init; }
}

/// <summary>Core → Node: rename or move within the allowed roots; refuses to replace an existing name.</summary>
public sealed record FilesRenameParams
{
    public required string From { get; init; }
    public required string To { get; init; }
}

/// <summary>Core → Node: delete a file, a link or an empty directory; a non-empty one only with <see cref="Recursive"/>.</summary>
public sealed record FilesDeleteParams
{
    public required string Path { get; init; }
    public bool Recursive { get; init; }
}

/// <summary>Core → Node: set permission bits; <see cref="Mode"/> is octal ("0755", "644").</summary>
public sealed record FilesChmodParams
{
    public required string Path { get; init; }
    public required string Mode { get; init; }
}

/// <summary>
/// Core → Node: send a file's bytes from <see cref="Offset"/> on the data stream <see cref="StreamId"/>.
/// The answer comes before the Node dials, so the Core can refuse early and set Content-Length.
/// </summary>
public sealed record FilesReadParams
{
    public required string Path { get; init; }
    public required string StreamId { get; init; }
    public long Offset { get; init; }
}

/// <summary>The file's full size and its normalized path; the stream carries <c>Size - Offset</c> bytes.</summary>
public sealed record FilesReadResult
{
    public required string Path { get; init; }
    public required long Size { get; init; }
}

/// <summary>
/// Core → Node: write the bytes arriving on the data stream <see cref="StreamId"/> at <see cref="Offset"/>.
/// Offset 0 with <see cref="Truncate"/> writes a temporary file renamed into place when the stream ends;
/// a larger offset (a resumed upload) continues the existing file, which must be at least that long.
/// </summary>
public sealed record FilesWriteParams
{
    public required string Path { get; init; }
    public required string StreamId { get; init; }
    public long Offset { get; init; }
    public bool Truncate { get; init; } = true;
}

/// <summary>The Node accepted a write and is dialing the stream; <see cref="Path"/> is the normalized path.</summary>
public sealed record FilesWriteAccepted
{
    public required string Path { get; init; }
}

/// <summary>
/// The text frame a Node sends on a write stream before closing it: the file's size after the write,
/// or the JSON-RPC error code and message when the write failed.
/// </summary>
public sealed record FilesWriteOutcome
{
    public long? Size { get; init; }
    public int? Code { get; init; }
    public string? Message { get; init; }
}

/// <summary>An empty success result for files methods that only change something.</summary>
public sealed record FilesDone
{
    public required string Path { get; init; }
}

/// <summary>What the Node puts in a files error's <c>data</c>, so the Core can pick the HTTP status.</summary>
public static class FilesErrorReasons
{
    public const string OutsideRoots = "outside-roots";
    public const string Permission = "permission";
    public const string NotEmpty = "not-empty";
    public const string Exists = "exists";
    public const string NotAFile = "not-a-file";
    public const string BadOffset = "bad-offset";

    /// <summary>The path goes through a symbolic link; the Node never follows one (a listing shows links, nothing acts through them).</summary>
    public const string Symlink = "symlink";
}

public static partial class Methods
{
    /// <summary>Core → Node request. <see cref="FilesListParams"/> → <see cref="FilesListResult"/>.</summary>
    public const string FilesList = "files.list";

    /// <summary>Core → Node request. <see cref="FilesMkdirParams"/> → <see cref="FilesDone"/>.</summary>
    public const string FilesMkdir = "files.mkdir";

    /// <summary>Core → Node request. <see cref="FilesRenameParams"/> → <see cref="FilesDone"/> (the new path).</summary>
    public const string FilesRename = "files.rename";

    /// <summary>Core → Node request. <see cref="FilesDeleteParams"/> → <see cref="FilesDone"/>.</summary>
    public const string FilesDelete = "files.delete";

    /// <summary>Core → Node request. <see cref="FilesChmodParams"/> → <see cref="FilesDone"/>.</summary>
    public const string FilesChmod = "files.chmod";

    /// <summary>Core → Node request. <see cref="FilesReadParams"/> → <see cref="FilesReadResult"/>, then the bytes on the stream.</summary>
    public const string FilesRead = "files.read";

    /// <summary>Core → Node request. <see cref="FilesWriteParams"/> → <see cref="FilesWriteAccepted"/>, then the bytes on the stream.</summary>
    public const string FilesWrite = "files.write";
}

using System.Text.RegularExpressions;

namespace SentinelX.Shared.Protocol;

public static partial class Methods
{
    /// <summary>Core → Node request: is a Docker Engine reachable? <see cref="EmptyParams"/> → <see cref="DockerInfo"/>; never fails because Docker is absent.</summary>
    public const string DockerInfo = "docker.info";

    /// <summary>Core → Node request: every container with live usage. <see cref="EmptyParams"/> → <see cref="DockerContainerList"/>.</summary>
    public const string DockerContainers = "docker.containers";

    /// <summary>Core → Node request: the local images. <see cref="EmptyParams"/> → <see cref="DockerImageList"/>.</summary>
    public const string DockerImages = "docker.images";

    /// <summary>Core → Node request: start, stop, restart or remove one container. <see cref="DockerActionParams"/> → <see cref="DockerActionResult"/>.</summary>
    public const string DockerAction = "docker.action";

    /// <summary>
    /// Core → Node request: send a container's log over the data stream <see cref="DockerLogsParams.StreamId"/>.
    /// <see cref="DockerLogsParams"/> → <see cref="EmptyParams"/> once the stream is dialled; the bytes follow on it.
    /// </summary>
    public const string DockerLogs = "docker.logs";
}

/// <summary>Names shared by the Core's validation and the Node's.</summary>
public static partial class DockerNames
{
    public const string Start = "start";
    public const string Stop = "stop";
    public const string Restart = "restart";
    public const string Remove = "remove";

    public static readonly IReadOnlyList<string> Actions = [Start, Stop, Restart, Remove];

    /// <summary>The most log lines one request may ask for.</summary>
    public const int MaxTail = 10_000;

    /// <summary>A container id (full or short) or name as Docker accepts it; checked before it goes into an Engine URL.</summary>
    public static bool IsValidContainer(string? value) => value is { Length: > 0 and <= 128 } && ContainerPattern().IsMatch(value);

    public static bool IsAction(string? value) => value is Start or Stop or Restart or Remove;

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")]
    private static partial Regex ContainerPattern();
}

/// <summary>Result of <see cref="Methods.DockerInfo"/>.</summary>
public sealed record DockerInfo
{
    public required bool Available { get; init; }

    /// <summary>The engine's version ("20.10.24", or podman's), when available.</summary>
    public string? Version { get; init; }

    public string? ApiVersion { get; init; }

    /// <summary>Why Docker is not available, e.g. "no Docker socket at /var/run/docker.sock".</summary>
    public string? Error { get; init; }

    /// <summary>The socket the Node talks to.</summary>
    public required string Socket { get; init; }
}

/// <summary>One published port of a container.</summary>
public sealed record DockerPort
{
    public required int PrivatePort { get; init; }
    public int? PublicPort { get; init; }
    public string? Ip { get; init; }
    public required string Type { get; init; }
}

/// <summary>One container as the Containers tab shows it; usage fields are null for containers that are not running.</summary>
public sealed record DockerContainer
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string Image { get; init; }

    /// <summary>Docker's state: created, running, paused, restarting, removing, exited or dead.</summary>
    public required string State { get; init; }

    /// <summary>Docker's own status line, e.g. "Up 5 minutes" or "Exited (0) 2 hours ago".</summary>
    public required string Status { get; init; }

    public IReadOnlyList<DockerPort> Ports { get; init; } = [];

    /// <summary>Unix seconds.</summary>
    public required long Created { get; init; }

    /// <summary>Unix ms the current run started, when running.</summary>
    public long? StartedAt { get; init; }

    public double? CpuPercent { get; init; }
    public long? MemBytes { get; init; }
    public long? MemLimit { get; init; }

    /// <summary>Bytes per second received and sent over all networks, since the previous poll.</summary>
    public double? NetRx { get; init; }

    public double? NetTx { get; init; }
}

/// <summary>Result of <see cref="Methods.DockerContainers"/>.</summary>
public sealed record DockerContainerList
{
    public required IReadOnlyList<DockerContainer> Containers { get; init; }
}

/// <summary>One local image.</summary>
public sealed record DockerImage
{
    public required string Id { get; init; }

    /// <summary>"repo:tag" names; empty for a dangling image.</summary>
    public required IReadOnlyList<string> Tags { get; init; }

    public required long Size { get; init; }

    /// <summary>Unix seconds.</summary>
    public required long Created { get; init; }
}

/// <summary>Result of <see cref="Methods.DockerImages"/>.</summary>
public sealed record DockerImageList
{
    public required IReadOnlyList<DockerImage> Images { get; init; }
}

/// <summary>Params of <see cref="Methods.DockerAction"/>.</summary>
public sealed record DockerActionParams
{
    /// <summary>Container id or name.</summary>
    public required string Id { get; init; }

    /// <summary>One of <see cref="DockerNames.Actions"/>.</summary>
    public required string Action { get; init; }

    /// <summary>For remove: kill a running container first.</summary>
    public bool Force { get; init; }
}

/// <summary>Result of <see cref="Methods.DockerAction"/>: the container's name and its state afterwards ("removed" after remove).</summary>
public sealed record DockerActionResult
{
    public required string Name { get; init; }
    public required string State { get; init; }
}

/// <summary>Params of <see cref="Methods.DockerLogs"/>.</summary>
public sealed record DockerLogsParams
{
    public required string Id { get; init; }

    /// <summary>Lines from the end to send first (0 to <see cref="DockerNames.MaxTail"/>).</summary>
    public int Tail { get; init; } = 200;

    /// <summary>Keep sending new lines until the Core closes the stream.</summary>
    public bool Follow { get; init; }

    public required string StreamId { get; init; }
}

namespace SentinelX.Node.Logging;

/// <summary>Plain log lines on stderr: <c>2026-11-22T10:00:00.000Z INFO message</c>. journald adds the rest.</summary>
internal static class Log
{
    private static readonly Lock Gate = new();

    /// <summary>Debug lines are off unless <c>SENTINELX_NODE_LOG=debug</c>; steady state stays quiet.</summary>
    public static bool DebugEnabled { get; set; } =
        string.Equals(Environment.GetEnvironmentVariable("SENTINELX_NODE_LOG"), "debug", StringComparison.OrdinalIgnoreCase);

    /// <summary>Where lines go; tests swap it to capture them.</summary>
    public static TextWriter Output { get; set; } = Console.Error;

    /// <summary>Raised with every line written; tests listen for the lines a user would read.</summary>
    public static event Action<string>? LineWritten;

    public static void Debug(string message)
    {
        if (DebugEnabled) Write("DEBUG", message, null);
    }

    public static void Info(string message) => Write("INFO", message, null);

    public static void Warn(string message, Exception? ex = null) => Write("WARN", message, ex);

    public static void Error(string message, Exception? ex = null) => Write("ERROR", message, ex);

    private static void Write(string level, string message, Exception? ex)
    {
        var line = ex is null
            ? $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {level} {message}"
            // Expected failures (network, IO) read best as one line; only unexpected ones get a trace.
            : ex is IOException or System.Net.Http.HttpRequestException or System.Net.WebSockets.WebSocketException or TimeoutException or OperationCanceledException
                ? $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {level} {message}: {ex.Message}"
                : $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {level} {message}: {ex}";
        lock (Gate)
        {
            Output.WriteLine(line);
            Output.Flush();
        }

        LineWritten?.Invoke(line);
    }
}

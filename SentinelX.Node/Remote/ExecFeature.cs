using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;
using SentinelX.Node.Logging;
using SentinelX.Shared.Protocol;

namespace SentinelX.Node.Remote;

/// <summary>
/// <c>exec.start</c> / <c>exec.cancel</c>: runs commands for the Core. The Node enforces the timeout
/// itself and ends every run of a session when the session closes, so a lost Core never leaves a
/// command running forever.
/// </summary>
internal sealed partial class ExecFeature : INodeFeature
{
    public void Register(JsonRpcMethods methods, SessionContext session)
    {
        var runs = new ConcurrentDictionary<string, ExecProcess>(StringComparer.Ordinal);
        session.Closed.Register(() =>
        {
            foreach (var run in runs.Values) run.Stop(ExecStatuses.Failed);
        });

        methods
            .OnRequest(Methods.ExecStart, ProtocolJsonContext.Default.ExecStartParams, ProtocolJsonContext.Default.ExecStartResult, (request, ct) =>
            {
                session.Demand(Capabilities.Exec);
                var (user, directory) = Validate(request);
                var run = ExecProcess.Start(request, user, directory);
                if (!runs.TryAdd(request.RunId, run))
                {
                    run.Stop(ExecStatuses.Cancelled);
                    throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, $"run {request.RunId} already exists");
                }

                Log.Info($"exec {request.RunId}: started pid {run.Pid}{(user is null ? "" : " as " + user.Name)}");
                _ = Task.Run(async () =>
                {
                    using (run)
                    {
                        await run.RunAsync(session.Peer);
                        runs.TryRemove(request.RunId, out _);
                    }
                }, CancellationToken.None);
                if (session.Closed.IsCancellationRequested) run.Stop(ExecStatuses.Failed);
                return ValueTask.FromResult(new ExecStartResult { Pid = run.Pid });
            })
            .OnRequest(Methods.ExecCancel, ProtocolJsonContext.Default.ExecCancelParams, ProtocolJsonContext.Default.ExecCancelResult, (request, _) =>
            {
                session.Demand(Capabilities.Exec);
                if (!runs.TryGetValue(request.RunId, out var run))
                    throw new JsonRpcException(JsonRpcErrorCodes.NotFound, $"no running command with id {request.RunId}");
                return ValueTask.FromResult(new ExecCancelResult { Cancelled = run.Stop(ExecStatuses.Cancelled) });
            });
    }

    /// <summary>Checks what the Core cannot know (users, directories) and what it should have checked (sizes, names).</summary>
    private static (UserAccount? User, string Directory) Validate(ExecStartParams request)
    {
        if (request.RunId.Length is 0 or > 64) Invalid("runId must be 1 to 64 characters");
        if (request.Command.Length == 0 || Encoding.UTF8.GetByteCount(request.Command) > ExecLimits.MaxCommandBytes)
            Invalid($"command must be 1 to {ExecLimits.MaxCommandBytes} bytes");
        if (request.Command.Contains('\0')) Invalid("command must not contain NUL");
        if (request.TimeoutSeconds is < 1 or > ExecLimits.MaxTimeoutSeconds) Invalid($"timeoutSeconds must be 1 to {ExecLimits.MaxTimeoutSeconds}");
        if (request.Env is { } env)
        {
            if (env.Count > ExecLimits.MaxEnvVariables) Invalid($"at most {ExecLimits.MaxEnvVariables} environment variables");
            foreach (var (name, value) in env)
            {
                if (!EnvName().IsMatch(name)) Invalid($"invalid environment variable name \"{name}\"");
                if (value.Contains('\0')) Invalid($"environment variable {name} must not contain NUL");
            }
        }

        UserAccount? user = null;
        if (!string.IsNullOrEmpty(request.RunAs))
        {
            if (!UserName().IsMatch(request.RunAs)) Invalid($"invalid user name \"{request.RunAs}\"");
            user = ExecNative.FindUser(request.RunAs)
                ?? throw new JsonRpcException(JsonRpcErrorCodes.NotFound, $"there is no user \"{request.RunAs}\" on this server");
            if (!Native.IsRoot())
            {
                if (user.Name == Environment.UserName) user = null;
                else throw new JsonRpcException(JsonRpcErrorCodes.OperationFailed,
                    $"cannot run as {request.RunAs}: the agent does not run as root (it runs as {Environment.UserName})");
            }
        }

        var directory = request.WorkingDirectory;
        if (string.IsNullOrEmpty(directory))
        {
            var home = user?.Home ?? Environment.GetEnvironmentVariable("HOME");
            directory = home is { Length: > 0 } && Directory.Exists(home) ? home : "/";
        }
        else if (!Path.IsPathFullyQualified(directory))
        {
            Invalid($"working directory must be an absolute path, not \"{directory}\"");
        }
        else if (!Directory.Exists(directory))
        {
            throw new JsonRpcException(JsonRpcErrorCodes.NotFound, $"working directory {directory} does not exist");
        }

        return (user, directory);
    }

    private static void Invalid(string message) => throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, message);

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    internal static partial Regex EnvName();

    /// <summary>What useradd accepts (plus the trailing $ of machine accounts).</summary>
    [GeneratedRegex("^[a-z_][a-z0-9_.-]{0,31}\\$?$", RegexOptions.IgnoreCase)]
    internal static partial Regex UserName();
}

using System.Runtime.InteropServices;
using SentinelX.Node;
using SentinelX.Node.Config;
using SentinelX.Node.Logging;

switch (args.FirstOrDefault())
{
    case "--version" or "-v" or "version":
        Console.WriteLine($"sentinelx-node {NodeVersion.Current}");
        return 0;
    case "--help" or "-h" or "help":
        Console.WriteLine(NodeSettingsLoader.Usage);
        return 0;
    case "config":
        return ConfigCommand.Run(args[1..], Environment.GetEnvironmentVariable, NodeHost.Current(), Console.Out, Console.Error);
    case "run":
        break;
    default:
        Console.Error.WriteLine(args.Length == 0 ? NodeSettingsLoader.Usage : $"sentinelx-node: unknown command \"{args[0]}\"\n{NodeSettingsLoader.Usage}");
        return 2;
}

var loaded = NodeSettingsLoader.Load(args[1..], Environment.GetEnvironmentVariable, NodeHost.Current());
foreach (var note in loaded.Notes) Log.Warn(note);
if (loaded.Settings is not { } settings)
{
    Console.Error.WriteLine(NodeSettingsLoader.FormatErrors(loaded.Errors));
    return 2;
}
// SIGTERM (systemd stop) and SIGINT (Ctrl+C) cancel one token; everything winds down from it.
using var stop = new CancellationTokenSource();
void OnSignal(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}

using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);

try
{
    await new NodeAgent(settings, NodeVersion.Current).RunAsync(stop.Token);
    return 0;
}
catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
{
    Log.Error($"cannot use data directory {settings.DataDir}", ex);
    return 1;
}

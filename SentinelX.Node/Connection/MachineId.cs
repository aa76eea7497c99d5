namespace SentinelX.Node.Connection;

/// <summary>A stable id of this machine, so the Core can recognise a reinstalled Node.</summary>
internal static class MachineId
{
    /// <summary>Overrides the detected id: several Nodes on one machine (containers sharing /etc, test rigs) each set their own.</summary>
    public const string OverrideVariable = "SENTINELX_NODE_MACHINE_ID";

    public static string Get(string dataDir, string etcRoot = "/etc", string varRoot = "/var")
    {
        if (Environment.GetEnvironmentVariable(OverrideVariable)?.Trim() is { Length: > 0 } overridden) return overridden;
        foreach (var path in (ReadOnlySpan<string>)[etcRoot + "/machine-id", varRoot + "/lib/dbus/machine-id"])
        {
            try
            {
                var id = File.ReadAllText(path).Trim();
                if (id.Length > 0) return id;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Containers and minimal systems often have neither; fall through to our own.
            }
        }

        var own = Path.Combine(dataDir, "machine-id");
        if (File.Exists(own) && File.ReadAllText(own).Trim() is { Length: > 0 } existing) return existing;
        var generated = Guid.NewGuid().ToString("N");
        Directory.CreateDirectory(dataDir);
        File.WriteAllText(own + ".tmp", generated + "\n");
        File.Move(own + ".tmp", own, overwrite: true);
        return generated;
    }
}

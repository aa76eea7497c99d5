using SentinelX.App.Features.Forwards;
using SentinelX.App.Features.Nodes;
using SentinelX.Shared.Metrics;

namespace SentinelX.Tests.Forwards;

/// <summary>A registry with three Nodes as the Core would know them after their hello.</summary>
internal static class ForwardTestNodes
{
    public static NodeRegistry Registry()
    {
        var registry = new NodeRegistry();
        Add(registry, "a", "entry-a", "203.0.113.10", ["203.0.113.10"], ["10.0.0.1/24"]);
        Add(registry, "b", "relay-b", "::ffff:198.51.100.20", [], ["10.0.0.2/24"]);
        Add(registry, "c", "exit-c", null, ["192.0.2.30"], ["10.0.0.3/24"]);
        return registry;
    }

    private static void Add(NodeRegistry registry, string id, string name, string? remote, string[] publicIps, string[] interfaceAddresses)
    {
        var node = registry.Add(new NodeRecord { Id = id, Name = name, MachineId = "m-" + id, SecretHash = "", RemoteAddress = remote });
        node.System = new SystemInfo
        {
            Hostname = name, Os = "linux", Kernel = "6", Arch = "x86_64",
            PublicIps = publicIps,
            Interfaces = [new NetworkInterfaceInfo { Name = "eth0", Addresses = interfaceAddresses }],
        };
    }

    public static ForwardInput Direct(string name = "web", int port = 10080, params string[] targets) => new()
    {
        Name = name,
        NodeId = "a",
        ListenPort = port,
        Targets = targets.Length == 0 ? ["10.9.9.9:80"] : targets,
    };
}

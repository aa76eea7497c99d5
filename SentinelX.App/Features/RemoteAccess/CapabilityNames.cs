using SentinelX.App.Features.Localization;
using SentinelX.Shared.Protocol;

namespace SentinelX.App.Features.RemoteAccess;

/// <summary>How the UI names each capability.</summary>
public static class CapabilityNames
{
    public static string Title(UiText t, string capability) => capability switch
    {
        Capabilities.Exec => t["Commands"],
        Capabilities.Shell => t["Terminal"],
        Capabilities.Files => t["Files"],
        Capabilities.Docker => t["Docker"],
        Capabilities.Forward => t["Forwarding"],
        _ => capability,
    };

    public static string Description(UiText t, string capability) => capability switch
    {
        Capabilities.Exec => t["Run commands and scripts, one Node or many at once."],
        Capabilities.Shell => t["Open an interactive terminal (a real PTY) in the browser."],
        Capabilities.Files => t["Browse, download, upload, edit and delete files."],
        Capabilities.Docker => t["List, start, stop, restart and remove containers; read their logs."],
        Capabilities.Forward => t["Open ports and forward traffic: forwards and relay-chain hops."],
        _ => "",
    };
}

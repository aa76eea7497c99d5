using System.Net;
using System.Security.Claims;
using SentinelX.App.Features.Auth;

namespace SentinelX.App.Features.Audit;

/// <summary>Who performed an action and from where, as the audit log records it.</summary>
public sealed record AuditActor(string Name, string Kind, string? Address)
{
    public static readonly AuditActor Cli = new("cli", "cli", null);
    public static readonly AuditActor System = new("system", "system", null);

    /// <summary>The caller of an API request (a token) or of a UI request (a signed-in user).</summary>
    public static AuditActor From(HttpContext http) => From(http.User, http.Connection.RemoteIpAddress);

    public static AuditActor From(ClaimsPrincipal user, IPAddress? address) => From(user, Format(address));

    public static AuditActor From(ClaimsPrincipal user, string? address)
    {
        var name = user.Identity?.Name ?? "anonymous";
        var kind = user.HasClaim(c => c.Type == TokenAuthenticationHandler.TokenIdClaim) ? "token" : "user";
        return new AuditActor(name, kind, address);
    }

    public static string? Format(IPAddress? address) =>
        address is null ? null : (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
}

/// <summary>
/// The browser's address for the current UI circuit. The page shell reads it from the first HTTP
/// request and hands it to the interactive root, which stores it here for the circuit's lifetime.
/// </summary>
public sealed class CircuitClient
{
    public string? Address { get; set; }
}

namespace SentinelX.App.Features.RemoteAccess;

public static class RemoteAccessSetup
{
    public static WebApplicationBuilder AddRemoteAccess(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<CapabilityLocks>();
        return builder;
    }

    public static IEndpointRouteBuilder MapRemoteAccess(this IEndpointRouteBuilder app) => app.MapCapabilitiesApi();
}

namespace SentinelX.App.Features.Nodes;

public static class NodesSetup
{
    public static WebApplicationBuilder AddNodes(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<NodeRegistry>();
        builder.Services.AddSingleton<NodeEditor>();
        builder.Services.AddSingleton<NodeEnrollment>();
        builder.Services.AddSingleton<NodeStreams>();
        builder.Services.AddHostedService<NodeLiveness>();
        return builder;
    }
}

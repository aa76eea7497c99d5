using Microsoft.Extensions.Options;

namespace SentinelX.App.Features.Terminal;

public static class TerminalSetup
{
    public static WebApplicationBuilder AddTerminal(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<TerminalOptions>().BindConfiguration(TerminalOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<TerminalOptions>, TerminalOptionsValidator>();
        builder.Services.AddSingleton<TerminalSessions>();
        return builder;
    }
}

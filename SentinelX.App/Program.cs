using SentinelX.App.Features.Cli;

return await CoreCli.RunAsync(args);

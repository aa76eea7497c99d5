using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using Xunit;

namespace SentinelX.Tests.Storage;

/// <summary>
/// A PostgreSQL server for the storage tests: the one named by env <c>SENTINELX_TEST_POSTGRES</c>
/// (a connection string with rights to create databases), or a throwaway server started here with
/// initdb/pg_ctl in a temp dir on a free loopback port and stopped at the end. Missing binaries
/// fail the tests with a message saying how to get them; they never pass silently.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    public const string EnvVar = "SENTINELX_TEST_POSTGRES";

    private string? _dataDir;
    private string? _pgCtl;
    private string _baseConnectionString = "";

    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable(EnvVar) is { Length: > 0 } external)
        {
            _baseConnectionString = external;
            return;
        }

        var binDir = FindBinDir() ?? throw new InvalidOperationException(
            "PostgreSQL tests need the PostgreSQL 15 server binaries (initdb, pg_ctl): install them with " +
            $"`apt-get install -y postgresql`, or set {EnvVar} to a connection string of a server to use. " +
            "Looked in PATH, /usr/local/bin and /usr/lib/postgresql/*/bin.");
        _pgCtl = Path.Combine(binDir, "pg_ctl");
        _dataDir = Path.Combine(Path.GetTempPath(), "sentinelx-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_dataDir);
        var port = FreePort();
        var initdb = Path.Combine(binDir, "initdb");
        var data = Path.Combine(_dataDir, "data");
        var script =
            $"'{initdb}' -D '{data}' -A trust -U postgres --no-sync >'{_dataDir}/initdb.log' 2>&1 && " +
            $"'{_pgCtl}' -D '{data}' -o \"-c listen_addresses=127.0.0.1 -p {port} -k '{_dataDir}' -c fsync=off -c max_connections=200\" -l '{_dataDir}/log' -w start";

        if (Environment.UserName == "root")
        {
            // initdb refuses to run as root.
            await RunAsync("chown", ["-R", "postgres:postgres", _dataDir]);
            await RunAsync("su", ["postgres", "-s", "/bin/bash", "-c", script]);
        }
        else
        {
            await RunAsync("/bin/bash", ["-c", script]);
        }
        _baseConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Include Error Detail=true";
    }

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "sx_" + Guid.NewGuid().ToString("N")[..16];
        await using (var connection = new NpgsqlConnection(_baseConnectionString))
        {
            await connection.OpenAsync();
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = $"CREATE DATABASE {name}";
            await cmd.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(_baseConnectionString) { Database = name }.ToString();
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_dataDir is null || _pgCtl is null)
            return;
        var data = Path.Combine(_dataDir, "data");
        var stop = $"'{_pgCtl}' -D '{data}' -m immediate -w stop";
        try
        {
            if (Environment.UserName == "root")
                await RunAsync("su", ["postgres", "-s", "/bin/bash", "-c", stop]);
            else
                await RunAsync("/bin/bash", ["-c", stop]);
        }
        finally
        {
            try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static string? FindBinDir()
    {
        var candidates = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/local/bin")
            .Concat(Directory.Exists("/usr/lib/postgresql")
                ? Directory.GetDirectories("/usr/lib/postgresql").OrderDescending().Select(d => Path.Combine(d, "bin"))
                : []);
        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {process.ExitCode}: {await stdout}{await stderr}");
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres";
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MimeKit;
using Xunit;

namespace SentinelX.Tests.Alerts.Channels;

public enum SmtpSecurity { None, StartTls, ImplicitTls }

/// <summary>
/// A real SMTP server: Debian's aiosmtpd (<c>python3-aiosmtpd</c>) storing what it accepts in a maildir,
/// with a self-signed certificate for STARTTLS or implicit TLS. Its handler adds the envelope as
/// <c>X-MailFrom</c> and <c>X-RcptTo</c> headers. Messages are on disk once the client's send returns,
/// since the server answers 250 only after storing them.
/// </summary>
/// <summary>One server of each kind for a test class; starting aiosmtpd costs most of a second.</summary>
public sealed class SmtpServers : IAsyncLifetime
{
    internal SmtpServer Plain { get; private set; } = null!;
    internal SmtpServer StartTls { get; private set; } = null!;
    internal SmtpServer ImplicitTls { get; private set; } = null!;

    /// <summary>STARTTLS, then AUTH required with <see cref="SmtpServer.Login"/>.</summary>
    internal SmtpServer WithLogin { get; private set; } = null!;

    internal SmtpServer this[SmtpSecurity security] => security switch
    {
        SmtpSecurity.StartTls => StartTls,
        SmtpSecurity.ImplicitTls => ImplicitTls,
        _ => Plain,
    };

    public async Task InitializeAsync()
    {
        // Started together: each spends most of its start-up importing Python modules.
        var plain = SmtpServer.StartAsync();
        var startTls = SmtpServer.StartAsync(SmtpSecurity.StartTls);
        var implicitTls = SmtpServer.StartAsync(SmtpSecurity.ImplicitTls);
        var withLogin = SmtpServer.StartAsync(SmtpSecurity.StartTls, requireLogin: true);
        Plain = await plain;
        StartTls = await startTls;
        ImplicitTls = await implicitTls;
        WithLogin = await withLogin;
    }

    public async Task DisposeAsync()
    {
        foreach (var server in new[] { Plain, StartTls, ImplicitTls, WithLogin })
            if (server is not null) await server.DisposeAsync();
    }
}

internal sealed class SmtpServer : IAsyncDisposable
{
    // Debian's interpreter, where python3-aiosmtpd installs; a python3 earlier on PATH may not have it.
    private const string Python = "/usr/bin/python3";

    private readonly Process _process;
    private readonly string _dir;

    private SmtpServer(Process process, string dir, int port)
    {
        _process = process;
        _dir = dir;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The only user name and password a server started with <c>requireLogin</c> accepts.</summary>
    public static readonly (string User, string Password) Login = ("ops", "Sm7p-Passw0rd");

    // aiosmtpd's command line has no authenticator; this is its Controller with one, STARTTLS first.
    private const string LoginServer = """
        import signal, ssl, sys
        from aiosmtpd.controller import Controller
        from aiosmtpd.handlers import Mailbox
        from aiosmtpd.smtp import AuthResult, LoginPassword
        port, cert, key, maildir, user, password = sys.argv[1:]
        def check(server, session, envelope, mechanism, data):
            ok = isinstance(data, LoginPassword) and data.login.decode() == user and data.password.decode() == password
            # handled=False: aiosmtpd then answers "535 … credentials invalid" itself.
            return AuthResult(success=ok, handled=False)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        controller = Controller(Mailbox(maildir), hostname="127.0.0.1", port=int(port), tls_context=context,
                                require_starttls=True, authenticator=check, auth_required=True)
        controller.start()
        print(f"Server is listening on 127.0.0.1:{port}", file=sys.stderr, flush=True)
        signal.pause()
        """;

    public static async Task<SmtpServer> StartAsync(SmtpSecurity security = SmtpSecurity.None, bool requireLogin = false)
    {
        var dir = Directory.CreateTempSubdirectory("sx-smtp-").FullName;
        var port = FreePort();
        var mail = Path.Combine(dir, "mail");
        List<string> args;
        if (requireLogin)
        {
            var (cert, key) = WriteSelfSignedCertificate(dir);
            args = ["-c", LoginServer, port.ToString(System.Globalization.CultureInfo.InvariantCulture), cert, key, mail, Login.User, Login.Password];
        }
        else
        {
            args = ["-m", "aiosmtpd", "-n", "-d", "-l", $"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Mailbox"];
            if (security != SmtpSecurity.None)
            {
                var (cert, key) = WriteSelfSignedCertificate(dir);
                args.AddRange(security == SmtpSecurity.StartTls ? ["--tlscert", cert, "--tlskey", key] : ["--smtpscert", cert, "--smtpskey", key]);
            }
            // The handler's argument (the maildir) must come last, after the options.
            args.Add(mail);
        }
        var info = new ProcessStartInfo(Python) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start aiosmtpd");
        var server = new SmtpServer(process, dir, port);
        try
        {
            // It logs this line once the socket listens.
            var ready = $"Server is listening on 127.0.0.1:{port}";
            string? line;
            while ((line = await process.StandardError.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20))) is not null && !line.Contains(ready, StringComparison.Ordinal))
            {
            }
            if (line is null)
                throw new InvalidOperationException($"aiosmtpd did not start (is python3-aiosmtpd installed?): {await process.StandardOutput.ReadToEndAsync()}");
            // Keep draining its debug log so it never blocks on a full pipe.
            _ = process.StandardError.ReadToEndAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Every message received so far for <paramref name="recipient"/> (tests share a server, each with its own address), oldest first.</summary>
    public IReadOnlyList<MimeMessage> MessagesTo(string recipient)
    {
        var inbox = Path.Combine(_dir, "mail", "new");
        return Directory.Exists(inbox)
            ? [.. Directory.GetFiles(inbox).OrderBy(File.GetLastWriteTimeUtc).Select(f => MimeMessage.Load(f))
                .Where(m => m.Headers["X-RcptTo"]?.Split(", ").Contains(recipient) == true)]
            : [];
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static (string Cert, string Key) WriteSelfSignedCertificate(string dir)
    {
        // ECDSA: generated at once, where an RSA key takes a noticeable part of a second.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var certPath = Path.Combine(dir, "cert.pem");
        var keyPath = Path.Combine(dir, "key.pem");
        File.WriteAllText(certPath, cert.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certPath, keyPath);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}

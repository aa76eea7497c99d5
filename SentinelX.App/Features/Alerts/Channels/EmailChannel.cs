using System.Net.Security;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace SentinelX.App.Features.Alerts.Channels;

/// <summary>
/// E-mail over SMTP (MailKit): connects with <c>security</c> <c>none</c> (plain, STARTTLS not attempted),
/// <c>starttls</c> (required, default, port 587) or <c>tls</c> (implicit TLS, port 465), signs in when a
/// <c>username</c> is given, and sends a plain-text message whose subject is the rendered title.
/// <c>allowInvalidCertificate</c> accepts any server certificate (self-signed, expired, other name): it
/// gives up the protection TLS offers against an impostor server and is meant for a mail relay on a
/// trusted network only.
/// </summary>
public sealed record EmailConfig() : ChannelConfig(TypeName)
{
    public const string TypeName = "email";
    public const int MaxRecipients = 50;

    public required string Host { get; init; }
    public required int Port { get; init; }

    /// <summary>"none", "starttls" or "tls".</summary>
    public required string Security { get; init; }

    public string? Username { get; init; }
    public string? Password { get; init; }
    public required string From { get; init; }
    public required IReadOnlyList<string> To { get; init; }
    public bool AllowInvalidCertificate { get; init; }

    internal override IReadOnlyList<SecretField> SecretFields { get; } = [new("password")];

    private static readonly string[] SecurityModes = ["none", "starttls", "tls"];

    internal static EmailConfig? Read(ConfigReader r)
    {
        var host = r.Host("host");
        var security = r.String("security", 16, required: false) ?? "starttls";
        if (!SecurityModes.Contains(security))
            r.Error("security", "Must be one of: none, starttls, tls.");
        var port = r.Int("port", 1, 65535) ?? security switch { "tls" => 465, "none" => 25, _ => 587 };
        var username = r.String("username", 256, required: false);
        var password = r.String("password", ConfigReader.MaxSecretLength, required: false);
        if (password is not null && username is null) r.Error("password", "Given without \"username\".");
        var from = r.Email("from");
        var to = r.EmailList("to", MaxRecipients);
        var allowInvalid = r.Bool("allowInvalidCertificate");
        if (allowInvalid && security == "none") r.Error("allowInvalidCertificate", "Only meaningful with starttls or tls.");
        return host is null || from is null || r.HasErrors ? null : new()
        {
            Host = host, Port = port, Security = security, Username = username, Password = password,
            From = from, To = to, AllowInvalidCertificate = allowInvalid,
        };
    }

    internal override async Task<SendOutcome> SendAsync(ChannelContext context, AlertMessage message, CancellationToken ct)
    {
        using var mail = new MimeMessage();
        mail.From.Add(new MailboxAddress("SentinelX", From));
        mail.To.AddRange(To.Select(t => MailboxAddress.Parse(t)));
        mail.Subject = message.Title;
        mail.Date = context.Time.GetUtcNow();
        mail.Body = new TextPart("plain") { Text = message.ToText() };

        using var smtp = new SmtpClient { Timeout = (int)HttpDelivery.Timeout.TotalMilliseconds };
        if (AllowInvalidCertificate)
            smtp.ServerCertificateValidationCallback = (_, _, _, errors) => errors == SslPolicyErrors.None || AllowInvalidCertificate;
        await smtp.ConnectAsync(Host, Port, Security switch
        {
            "tls" => SecureSocketOptions.SslOnConnect,
            "starttls" => SecureSocketOptions.StartTls,
            _ => SecureSocketOptions.None,
        }, ct);
        if (Username is not null)
        {
            if (!smtp.Capabilities.HasFlag(SmtpCapabilities.Authentication))
                return SendOutcome.Failed("the SMTP server does not offer authentication (AUTH); remove username and password or use another security mode", false);
            await smtp.AuthenticateAsync(Username, Password ?? "", ct);
        }
        await smtp.SendAsync(mail, ct);
        await smtp.DisconnectAsync(quit: true, ct);
        return SendOutcome.Success;
    }
}

using System.Text;
using Microsoft.AspNetCore.Identity;
using QRCoder;

namespace SentinelX.App.Features.Accounts;

/// <summary>Authenticator-app (TOTP) enrolment: the key, its otpauth:// URI and QR code.</summary>
public static class Authenticator
{
    public const int RecoveryCodeCount = 10;

    /// <summary>The URI authenticator apps read from the QR code (Key URI Format).</summary>
    public static string OtpAuthUri(string userName, string key) =>
        $"otpauth://totp/{Uri.EscapeDataString("SentinelX:" + userName)}?secret={key}&issuer=SentinelX&digits=6";

    /// <summary>The QR code as a PNG data URI: black on white, readable in the dark theme too.</summary>
    public static string QrDataUri(string text)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(text, QRCodeGenerator.ECCLevel.M);
        using var png = new PngByteQRCode(data);
        return "data:image/png;base64," + Convert.ToBase64String(png.GetGraphic(6));
    }

    /// <summary>"abcd efgh …": easier to type into a phone than one long string.</summary>
    public static string FormatKey(string key)
    {
        var text = new StringBuilder();
        for (var i = 0; i < key.Length; i += 4)
        {
            if (i > 0) text.Append(' ');
            text.Append(key.AsSpan(i, Math.Min(4, key.Length - i)));
        }
        return text.ToString().ToLowerInvariant();
    }

    /// <summary>Authenticator codes are typed with spaces or dashes now and then.</summary>
    public static string Normalize(string code) => code.Replace(" ", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal).Trim();

    /// <summary>Stores a new authenticator key without touching the security stamp: enrolling must not end this session.</summary>
    public static async Task<bool> TryEnableAsync(UserManager<SentinelUser> users, IUserStore<SentinelUser> store, SentinelUser user, string key, string code)
    {
        if (store is not IUserAuthenticatorKeyStore<SentinelUser> keys) return false;
        await keys.SetAuthenticatorKeyAsync(user, key, CancellationToken.None);
        await users.UpdateAsync(user);
        if (!await users.VerifyTwoFactorTokenAsync(user, users.Options.Tokens.AuthenticatorTokenProvider, Normalize(code))) return false;
        user.TwoFactorEnabled = true;
        return (await users.UpdateAsync(user)).Succeeded;
    }
}

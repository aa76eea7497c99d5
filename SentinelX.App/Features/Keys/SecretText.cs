using System.Security.Cryptography;
using System.Text;

namespace SentinelX.App.Features.Keys;

/// <summary>Random secrets in a copy-friendly form (lowercase base32: no symbols, one double-click selects it) and their hashes.</summary>
public static class SecretText
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";

    /// <summary>A prefix followed by <paramref name="bytes"/> random bytes in base32.</summary>
    public static string New(string prefix, int bytes = 32) => prefix + Base32(RandomNumberGenerator.GetBytes(bytes));

    /// <summary>SHA-256 of the UTF-8 text, lowercase hex: how secrets are stored.</summary>
    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>Compares a presented secret with a stored hash in constant time.</summary>
    public static bool Matches(string? presented, string storedHash)
    {
        if (string.IsNullOrEmpty(presented) || storedHash.Length != 64) return false;
        var expected = Convert.FromHexString(storedHash);
        Span<byte> actual = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(presented), actual);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    private static string Base32(ReadOnlySpan<byte> data)
    {
        var sb = new StringBuilder((data.Length * 8 + 4) / 5);
        int buffer = 0, bits = 0;
        foreach (var b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                sb.Append(Alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }

        if (bits > 0) sb.Append(Alphabet[(buffer << (5 - bits)) & 31]);
        return sb.ToString();
    }
}

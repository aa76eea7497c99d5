using Microsoft.AspNetCore.Identity;

namespace SentinelX.App.Features.Accounts;

/// <summary>A person who signs in to the UI. Identity keeps the password hash, lockout and TOTP state.</summary>
public sealed class SentinelUser : IdentityUser
{
    /// <summary>One of <see cref="Auth.Roles"/>; one role per user keeps the model explainable.</summary>
    public string Role { get; set; } = Auth.Roles.Viewer;

    /// <summary>UI language, e.g. "en" or "zh-CN"; remembered across devices.</summary>
    public string Language { get; set; } = "en";

    /// <summary>"light", "dark" or "" for the system preference.</summary>
    public string Theme { get; set; } = "";

    /// <summary>"cards" or "table" on the dashboard.</summary>
    public string DashboardView { get; set; } = "cards";

    /// <summary>Unix ms.</summary>
    public long CreatedAt { get; set; }

    /// <summary>Unix ms of the last successful sign-in.</summary>
    public long? LastLoginAt { get; set; }
}

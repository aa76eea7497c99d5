using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace SentinelX.App.Features.Audit;

/// <summary>One control action as stored: who did what to which Node, from where, and how it ended.</summary>
public sealed class AuditEntry
{
    public long Id { get; set; }

    /// <summary>Unix ms.</summary>
    public long At { get; set; }

    /// <summary>User name, token name, or "cli" / "system".</summary>
    public required string Actor { get; set; }

    /// <summary>"user", "token", "cli" or "system".</summary>
    public required string ActorKind { get; set; }

    /// <summary>The client's address as the Core saw it; null for the CLI.</summary>
    public string? Address { get; set; }

    public string? NodeId { get; set; }

    /// <summary>A dotted name from <see cref="AuditActions"/>, e.g. "exec.run".</summary>
    public required string Action { get; set; }

    /// <summary>What was acted on: the command, path, container, token or user name (capped).</summary>
    public string Target { get; set; } = "";

    /// <summary>"ok", "refused" or "failed".</summary>
    public required string Result { get; set; }

    /// <summary>More about the result: an exit code, the lock that refused it, an error message.</summary>
    public string Detail { get; set; } = "";
}

/// <summary>The action names the audit log uses; filters in the UI and API match them exactly.</summary>
public static class AuditActions
{
    public const string CapabilitySet = "capability.set";
    public const string ExecRun = "exec.run";
    public const string ExecCancel = "exec.cancel";
    public const string ShellOpen = "shell.open";
    public const string ShellClose = "shell.close";
    public const string FileRead = "files.read";
    public const string FileWrite = "files.write";
    public const string FileDelete = "files.delete";
    public const string FileRename = "files.rename";
    public const string FileMkdir = "files.mkdir";
    public const string FileChmod = "files.chmod";
    public const string Docker = "docker"; // followed by the action: docker.start, docker.stop, ...
    public const string TokenCreate = "token.create";
    public const string TokenRevoke = "token.revoke";
    public const string UserCreate = "user.create";
    public const string UserUpdate = "user.update";
    public const string UserDelete = "user.delete";
    public const string KeyRotate = "key.rotate";
    public const string NodeRemove = "node.remove";
    public const string SettingsChange = "settings.change";
    public const string AlertRuleCreate = "alert.rule.create";
    public const string AlertRuleUpdate = "alert.rule.update";
    public const string AlertRuleDelete = "alert.rule.delete";
    public const string AlertChannelCreate = "alert.channel.create";
    public const string AlertChannelUpdate = "alert.channel.update";
    public const string AlertChannelDelete = "alert.channel.delete";
    public const string AlertChannelTest = "alert.channel.test";
    public const string AlertSilenceCreate = "alert.silence.create";
    public const string AlertSilenceDelete = "alert.silence.delete";
    public const string ProbeCreate = "probe.create";
    public const string ProbeUpdate = "probe.update";
    public const string ProbeDelete = "probe.delete";
    public const string StatusPageUpdate = "status-page.update";
    public const string StatusPageDelete = "status-page.delete";
    public const string StatusIncidentWrite = "status-page.incident";

    // Accounts
    public const string SignIn = "account.sign-in";
    public const string SignInFailed = "account.sign-in-failed";
    public const string Lockout = "account.lockout";
    public const string PasswordChange = "account.password-change";
    public const string TwoFactorEnable = "account.2fa-enable";
    public const string TwoFactorDisable = "account.2fa-disable";
    public const string RecoveryCodeUse = "account.recovery-code";
    public const string SessionEnd = "account.session-end";
    public const string Setup = "account.setup";

    // Nodes
    public const string NodeEnroll = "node.enroll";
    public const string NodeRejoinRequest = "node.rejoin.request";
    public const string NodeRejoinApprove = "node.rejoin.approve";
    public const string NodeRejoinReject = "node.rejoin.reject";
    public const string NodeRevoke = "node.revoke";
    public const string NodeUpdate = "node.update";
}

public static class AuditResults
{
    public const string Ok = "ok";
    public const string Refused = "refused";
    public const string Failed = "failed";
}

internal sealed class AuditEntryMapping : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> e)
    {
        e.ToTable("audit_log");
        e.HasKey(x => x.Id);
        e.HasIndex(x => x.At);
        e.HasIndex(x => new { x.NodeId, x.Id });
    }
}

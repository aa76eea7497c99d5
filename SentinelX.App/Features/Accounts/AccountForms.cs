using System.ComponentModel.DataAnnotations;

namespace SentinelX.App.Features.Accounts;

/// <summary>The models bound by the account forms.</summary>
public static class AccountForms
{
    public sealed class Setup
    {
        [Required, StringLength(64, MinimumLength = 2)]
        public string UserName { get; set; } = "";

        [Required, StringLength(256, MinimumLength = 10)]
        public string Password { get; set; } = "";

        [Required]
        public string Confirm { get; set; } = "";

        /// <summary>The one-time code the Core printed at start; not needed from the Core's own machine.</summary>
        [StringLength(64)]
        public string? SetupCode { get; set; }
    }

    public sealed class Login
    {
        [Required]
        public string UserName { get; set; } = "";

        [Required]
        public string Password { get; set; } = "";

        public bool Remember { get; set; }
    }

    public sealed class SecondStep
    {
        [Required, StringLength(32)]
        public string Code { get; set; } = "";
    }
}

using FluentAssertions;
using SentinelX.Node.Forwarding;
using SentinelX.Shared.Protocol;
using Xunit;

namespace SentinelX.Tests.Forwarding;

public sealed class ForwardPlacementDefaultsTests
{
    [Fact]
    public void Fields_read_as_null_or_zero_get_their_documented_defaults()
    {
        var bare = new ForwardPlacement
        {
            RuleId = "r",
            Name = "r",
            Protocol = ForwardProtocols.Tcp,
            Mode = null!,
            Balance = null!,
            UdpIdleSeconds = 0,
            Listen = new ForwardListen { Address = null!, Port = 10080 },
            Targets = ["127.0.0.1:80"],
            Quota = new ForwardQuota { Bytes = 1, Action = null!, ResetDay = 0, ThrottleMbps = 0 },
        };

        var p = PlacementDefaults.Apply(bare);

        p.Mode.Should().Be(ForwardModes.Userspace);
        p.Balance.Should().Be(ForwardBalance.RoundRobin);
        p.UdpIdleSeconds.Should().Be(ForwardLimits.DefaultUdpIdleSeconds);
        p.Listen!.Address.Should().Be("0.0.0.0");
        p.Quota!.Action.Should().Be(QuotaActions.Block);
        p.Quota.ResetDay.Should().Be(1);
        p.Quota.ThrottleMbps.Should().Be(1);
    }
}

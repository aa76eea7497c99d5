using FluentAssertions;
using SentinelX.App.Features.Localization;
using Xunit;
using SentinelX.App.Ui;

namespace SentinelX.Tests.Ui;

public sealed class UnitsTests
{
    [Theory]
    [InlineData(0, "0 B")]
    [InlineData(1023, "1023 B")]
    [InlineData(1536, "1.50 KiB")]
    [InlineData(10L * 1024 * 1024, "10.0 MiB")]
    [InlineData(512L * 1024 * 1024 * 1024, "512 GiB")]
    [InlineData(3L * 1024 * 1024 * 1024 * 1024, "3.00 TiB")]
    public void Bytes_use_binary_units(long bytes, string text) => Units.Bytes(bytes).Should().Be(text);

    [Theory]
    [InlineData(0, "0 bit/s")]
    [InlineData(100, "800 bit/s")]
    [InlineData(125_000, "1.00 Mbit/s")]
    [InlineData(12_500_000, "100 Mbit/s")]
    [InlineData(125_000_000, "1.00 Gbit/s")]
    public void Rates_are_bits_per_second(double bytesPerSecond, string text) => Units.Rate(bytesPerSecond).Should().Be(text);

    [Theory]
    [InlineData(42, "42 s")]
    [InlineData(7 * 60 + 5, "7 min")]
    [InlineData(5 * 3600 + 12 * 60, "5 h 12 min")]
    [InlineData(3 * 86400 + 4 * 3600 + 59, "3 d 4 h")]
    public void Durations_show_the_two_largest_units(long seconds, string text) => Units.Duration(seconds, new UiText()).Should().Be(text);

    [Theory]
    [InlineData("DE", "🇩🇪")]
    [InlineData("jp", "🇯🇵")]
    [InlineData("", "")]
    [InlineData("USA", "")]
    [InlineData("1A", "")]
    public void Regions_become_flags(string region, string flag) => Units.Flag(region).Should().Be(flag);

    [Theory]
    [InlineData(10, "sx-ok")]
    [InlineData(70, "sx-warn")]
    [InlineData(95, "sx-bad")]
    public void Bars_change_colour_at_70_and_90_percent(double percent, string level) => Units.Level(percent).Should().Be(level);
}

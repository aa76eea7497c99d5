using System.Runtime.Versioning;
using System.Text.Json;
using FluentAssertions;
using SentinelX.Node.Logging;
using SentinelX.Node.Outbox;
using SentinelX.Shared.Metrics;
using SentinelX.Shared.Protocol;
using Xunit;

namespace SentinelX.Tests.Node;

[SupportedOSPlatform("linux")]
public sealed class SampleOutboxTests : IDisposable
{
    private readonly string _dir = Path.Combine(Directory.CreateTempSubdirectory("sx-outbox-").FullName, "outbox");

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_dir)!, recursive: true);

    [Fact]
    public void Appended_samples_replay_in_order_and_acked_ones_are_skipped()
    {
        using var outbox = SampleOutbox.Open(_dir);
        for (var i = 0; i < 10; i++) outbox.Append(Sample(outbox.NextSeq));

        Seqs(outbox, after: 0).Should().Equal(Enumerable.Range(1, 10).Select(i => (long)i));
        var all = new List<OutboxRecord>();
        outbox.Read(0, 100, int.MaxValue, all);
        JsonSerializer.Deserialize(all[6].Json, ProtocolJsonContext.Default.MetricSample)!.Seq.Should().Be(7);
        JsonSerializer.Deserialize(all[6].Json, ProtocolJsonContext.Default.MetricSample)!.CpuPercent.Should().Be(7);

        outbox.Ack(4);
        Seqs(outbox, after: 0).Should().Equal(5, 6, 7, 8, 9, 10);
        Seqs(outbox, after: 7).Should().Equal(8, 9, 10);
        Seqs(outbox, after: 0, maxCount: 3).Should().Equal(5, 6, 7);
        // A byte limit stops the batch, but the first record always goes so a batch is never empty.
        Seqs(outbox, after: 0, maxBytes: 1).Should().Equal(5);
        Seqs(outbox, after: 10).Should().BeEmpty();
    }

    [Fact]
    public void A_new_instance_on_the_same_directory_continues_the_seq_and_keeps_unacked_samples()
    {
        using (var outbox = SampleOutbox.Open(_dir))
        {
            for (var i = 0; i < 5; i++) outbox.Append(Sample(outbox.NextSeq));
            outbox.Ack(2);
        }

        using (var reopened = SampleOutbox.Open(_dir))
        {
            reopened.NextSeq.Should().Be(6);
            reopened.AckedSeq.Should().Be(2);
            Seqs(reopened, after: 0).Should().Equal(3, 4, 5);
            reopened.Append(Sample(1)).Should().Be(6, "a stale seq hint is renumbered, never reused");
        }

        using var third = SampleOutbox.Open(_dir);
        Seqs(third, after: 0).Should().Equal(3, 4, 5, 6);
    }

    [Fact]
    public void Seq_survives_restart_even_when_every_segment_was_acked_and_deleted()
    {
        var options = new OutboxOptions { SegmentMaxBytes = 1024 };
        using (var outbox = SampleOutbox.Open(_dir, options))
        {
            for (var i = 0; i < 20; i++) outbox.Append(Sample(outbox.NextSeq));
            SegmentFiles().Length.Should().BeGreaterThan(3);
            outbox.Ack(20);
            SegmentFiles().Length.Should().Be(1, "wholly acked segments are deleted; the one being written stays");
        }

        using var reopened = SampleOutbox.Open(_dir, options);
        reopened.NextSeq.Should().Be(21);
        Seqs(reopened, after: 0).Should().BeEmpty();
    }

    [Fact]
    public void Floor_from_enrollment_and_acks_beyond_the_log_are_durable()
    {
        using (var outbox = SampleOutbox.Open(_dir))
        {
            outbox.EnsureNextSeqAtLeast(500);
            outbox.NextSeq.Should().Be(500);
        }

        using (var reopened = SampleOutbox.Open(_dir))
        {
            reopened.NextSeq.Should().Be(500);
            reopened.Append(Sample(reopened.NextSeq)).Should().Be(500);
            // The Core says it stored up to 900 (e.g. the Node's disk was restored from an old backup).
            reopened.Ack(900);
            reopened.NextSeq.Should().Be(901);
        }

        using var third = SampleOutbox.Open(_dir);
        third.NextSeq.Should().Be(901);
    }

    [Fact]
    public void Acking_deletes_only_segments_that_are_wholly_acked()
    {
        using var outbox = SampleOutbox.Open(_dir, new OutboxOptions { SegmentMaxBytes = 1024 });
        for (var i = 0; i < 30; i++) outbox.Append(Sample(outbox.NextSeq));
        var before = SegmentFiles();

        outbox.Ack(10);
        var after = SegmentFiles();
        after.Length.Should().BeLessThan(before.Length);
        FirstSeqs(after)[0].Should().BeLessThanOrEqualTo(11, "the segment holding seq 11 must stay");
        FirstSeqs(after).Skip(1).Should().OnlyContain(first => first > 11);
        Seqs(outbox, after: 0).Should().Equal(Enumerable.Range(11, 20).Select(i => (long)i));
    }

    [Fact]
    public void A_torn_tail_is_cut_off_at_start_and_appending_continues()
    {
        using (var outbox = SampleOutbox.Open(_dir))
        {
            for (var i = 0; i < 5; i++) outbox.Append(Sample(outbox.NextSeq));
        }

        var segment = SegmentFiles().Single();
        var whole = new FileInfo(segment).Length;
        // A crash in the middle of a write: a header promising 300 bytes, and only 20 of them.
        using (var file = new FileStream(segment, FileMode.Append))
        {
            file.Write([44, 1, 0, 0, 1, 2, 3, 4, 6, 0, 0, 0, 0, 0, 0, 0]);
            file.Write(new byte[20]);
        }

        using (var reopened = SampleOutbox.Open(_dir))
        {
            new FileInfo(segment).Length.Should().Be(whole);
            reopened.NextSeq.Should().Be(6);
            Seqs(reopened, after: 0).Should().Equal(1, 2, 3, 4, 5);
            reopened.Append(Sample(reopened.NextSeq));
        }

        using var third = SampleOutbox.Open(_dir);
        Seqs(third, after: 0).Should().Equal(1, 2, 3, 4, 5, 6);
    }

    [Fact]
    public void A_record_with_a_bad_checksum_at_the_tail_is_dropped()
    {
        using (var outbox = SampleOutbox.Open(_dir))
        {
            for (var i = 0; i < 3; i++) outbox.Append(Sample(outbox.NextSeq));
        }

        var segment = SegmentFiles().Single();
        var bytes = File.ReadAllBytes(segment);
        bytes[^2] ^= 0x55; // flip bits inside the last record's JSON
        File.WriteAllBytes(segment, bytes);

        using var reopened = SampleOutbox.Open(_dir);
        Seqs(reopened, after: 0).Should().Equal(1, 2);
    }

    [Fact]
    public void Over_the_size_bound_the_oldest_segment_is_dropped_with_a_log_line()
    {
        var lines = new List<string>();
        void Listen(string line)
        {
            if (line.Contains("seq 7000001..", StringComparison.Ordinal)) lock (lines) lines.Add(line);
        }

        Log.LineWritten += Listen;
        try
        {
            using var outbox = SampleOutbox.Open(_dir, new OutboxOptions { MaxBytes = 8 * 1024, SegmentMaxBytes = 2 * 1024 });
            outbox.EnsureNextSeqAtLeast(7_000_001);
            for (var i = 0; i < 100; i++) outbox.Append(Sample(outbox.NextSeq));

            SegmentFiles().Sum(f => new FileInfo(f).Length).Should().BeLessThanOrEqualTo(8 * 1024 + 2 * 1024 + 1024);
            var left = Seqs(outbox, after: 0);
            left.Should().NotBeEmpty();
            left[0].Should().BeGreaterThan(7_000_001);
            left[^1].Should().Be(7_000_100);
            left.Should().Equal(Enumerable.Range(0, left.Count).Select(i => left[0] + i), "only whole old segments go; what is left has no holes");
            lines.Should().ContainSingle().Which.Should().MatchRegex(@"dropped \d+ unsent samples, seq 7000001\.\.\d+");
        }
        finally
        {
            Log.LineWritten -= Listen;
        }
    }

    [Fact]
    public void Segments_older_than_the_age_bound_are_dropped_at_start()
    {
        using (var outbox = SampleOutbox.Open(_dir, new OutboxOptions { SegmentMaxBytes = 1024 }))
        {
            for (var i = 0; i < 10; i++) outbox.Append(Sample(outbox.NextSeq));
        }

        var oldest = SegmentFiles().Order(StringComparer.Ordinal).First();
        File.SetLastWriteTimeUtc(oldest, DateTime.UtcNow.AddDays(-8));

        using var reopened = SampleOutbox.Open(_dir, new OutboxOptions { SegmentMaxBytes = 1024 });
        File.Exists(oldest).Should().BeFalse();
        var left = Seqs(reopened, after: 0);
        left[0].Should().BeGreaterThan(1);
        left[^1].Should().Be(10);
    }

    [Fact]
    public void Files_are_private_to_the_node()
    {
        using var outbox = SampleOutbox.Open(_dir);
        outbox.Append(Sample(1));
        outbox.EnsureNextSeqAtLeast(10);
        File.GetUnixFileMode(SegmentFiles().Single()).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.GetUnixFileMode(Path.Combine(_dir, "state")).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    internal static MetricSample Sample(long seq) => new()
    {
        Seq = seq,
        Timestamp = DateTimeOffset.UtcNow,
        CpuPercent = seq % 100,
        CpuPerCore = [1.5, 2.5],
        MemTotalBytes = 1 << 30,
        Interfaces = [new InterfaceTraffic { Name = "eth0", RxBps = 10, TxBps = 20, RxTotal = seq * 1000, TxTotal = seq * 10 }],
        Mounts = [new MountUsage { Mount = "/", Device = "/dev/vda", FsType = "ext4", TotalBytes = 1000, UsedBytes = 10 }],
    };

    private static List<long> Seqs(SampleOutbox outbox, long after, int maxCount = 10_000, int maxBytes = int.MaxValue)
    {
        var records = new List<OutboxRecord>();
        outbox.Read(after, maxCount, maxBytes, records);
        return records.Select(r => r.Seq).ToList();
    }

    private string[] SegmentFiles() => Directory.GetFiles(_dir, "*.seg");

    private static List<long> FirstSeqs(string[] files) =>
        files.Select(f => long.Parse(Path.GetFileNameWithoutExtension(f), System.Globalization.CultureInfo.InvariantCulture)).Order().ToList();
}

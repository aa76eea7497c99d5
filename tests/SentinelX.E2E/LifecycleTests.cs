using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Http.Json;
using FluentAssertions;
using SentinelX.E2E.Infrastructure;
using SentinelX.Shared.Protocol;
using Xunit;
using Xunit.Abstractions;

namespace SentinelX.E2E;

/// <summary>Processes die, freeze, restart and reinstall; nothing stored may be lost or doubled.</summary>
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes them through IAsyncLifetime.DisposeAsync.")]
public sealed class LifecycleTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly CoreInstance _core = new();
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        await _core.StartAsync();
        _admin = await _core.ClientAsync("admin");
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _core.DisposeAsync();
    }

    [Fact]
    public async Task A_frozen_node_is_offline_within_10_seconds_and_back_when_it_resumes()
    {
        await using var node = _core.NewNode("frozen");
        await node.StartAsync();
        var id = await WaitOnlineAsync(node);

        node.Process.Signal(19); // SIGSTOP: the TCP connection stays open but nothing is sent (half-open)
        var took = await Eventually.WaitAsync(async () => !(await NodeAsync(id)).Online, TimeSpan.FromSeconds(15), "node offline", () => _core.Output);
        node.Process.Signal(18); // SIGCONT

        output.WriteLine($"offline detected after {took.TotalSeconds:0.0} s");
        took.Should().BeLessThan(TimeSpan.FromSeconds(10));
        await Eventually.WaitAsync(async () => (await NodeAsync(id)).Online, TimeSpan.FromSeconds(40), "node back online", () => node.Output);
    }

    [Fact]
    public async Task Core_killed_and_down_30_seconds_loses_and_doubles_no_sample()
    {
        await using var node = _core.NewNode("steady");
        await node.StartAsync();
        var id = await WaitOnlineAsync(node);
        await WaitStoredAsync(id, 5);

        await _core.KillAsync(); // SIGKILL: no chance to flush anything
        await Task.Delay(TimeSpan.FromSeconds(30));
        await _core.StartAsync();
        var (_, maxBefore) = Stored(id);
        var reference = maxBefore + 32; // the Node sampled ~30 more while the Core was gone
        await Eventually.WaitAsync(() => Task.FromResult(Stored(id).Max >= reference), TimeSpan.FromSeconds(40), $"seq {reference} stored", () => node.Output);

        AssertContiguous(id, maxGapSeconds: 2.5);
    }

    [Fact]
    public async Task Samples_taken_while_the_core_was_down_survive_a_node_restart()
    {
        await using var node = _core.NewNode("restarted");
        await node.StartAsync();
        var id = await WaitOnlineAsync(node);
        await WaitStoredAsync(id, 3);

        await _core.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(6));
        (await node.StopAsync()).Should().Be(0, "SIGTERM is a clean exit");
        var outbox = Directory.GetFiles(Path.Combine(node.DataDir, "outbox"), "*", SearchOption.AllDirectories);
        outbox.Should().NotBeEmpty("unsent samples wait on disk");

        await _core.StartAsync();
        await node.StartAsync();
        await Eventually.WaitAsync(() => Task.FromResult(Stored(id).Count >= 12), TimeSpan.FromSeconds(30), "samples after restart", () => node.Output);

        AssertContiguous(id, maxGapSeconds: null);
    }

    [Fact]
    public async Task A_reinstalled_node_gets_its_old_record_back_once_an_admin_approves()
    {
        await using var node = _core.NewNode("reinstalled");
        await node.StartAsync();
        var id = await WaitOnlineAsync(node);
        await WaitStoredAsync(id, 3);
        await node.StopAsync();
        var (_, maxBefore) = Stored(id);

        foreach (var entry in Directory.EnumerateFileSystemEntries(node.DataDir))
        {
            if (Directory.Exists(entry)) Directory.Delete(entry, true);
            else File.Delete(entry);
        }

        // Without its secret the reinstall only asks to re-join; an administrator's approval hands it the old record.
        await node.StartAsync();
        string? requestId = null;
        await Eventually.WaitAsync(async () =>
        {
            var pending = await CoreInstance.GetJsonAsync<List<JoinView>>(_admin, "/api/v1/nodes/pending");
            requestId = pending.FirstOrDefault(p => p.NodeId == id)?.Id;
            return requestId is not null;
        }, TimeSpan.FromSeconds(30), "a re-join request for the old record", () => node.Output + _core.Output);
        Stored(id).Max.Should().Be(maxBefore, "nothing is stored under the old id before approval");
        using (var approved = await _admin.PostAsync($"/api/v1/nodes/pending/{requestId}/approve", null))
            approved.StatusCode.Should().Be(HttpStatusCode.NoContent);
        await Eventually.WaitAsync(() => Task.FromResult(Stored(id).Max >= maxBefore + 3), TimeSpan.FromSeconds(30), "new samples under the old id", () => node.Output + _core.Output);

        var nodes = await CoreInstance.GetJsonAsync<List<NodeView>>(_admin, "/api/v1/nodes");
        nodes.Should().ContainSingle().Which.Id.Should().Be(id);
    }

    [Fact]
    public async Task Rotating_the_key_keeps_enrolled_nodes_and_refuses_the_old_key()
    {
        await using var node = _core.NewNode("rotated");
        var oldKey = await _core.EnrollmentKeyAsync();
        await node.StartAsync(oldKey);
        var id = await WaitOnlineAsync(node);

        var (code, newKey, _) = await _core.CliAsync("key", "rotate");
        code.Should().Be(0);
        newKey = newKey.Trim();
        newKey.Should().NotBe(oldKey).And.StartWith("sxk_");
        var (countBefore, _) = Stored(id);
        await Task.Delay(TimeSpan.FromSeconds(5));

        (await NodeAsync(id)).Online.Should().BeTrue();
        Stored(id).Count.Should().BeGreaterThan(countBefore + 2, "samples keep flowing after rotation");
        using var refused = await Enroll(oldKey, Guid.NewGuid().ToString("N"));
        refused.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        using var accepted = await Enroll(newKey, Guid.NewGuid().ToString("N"));
        accepted.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_wrong_key_is_refused_clearly_and_the_node_backs_off()
    {
        await using var node = _core.NewNode("intruder");
        await node.StartAsync("sxk_wrong");

        (await node.Process.WaitForOutputAsync("enrollment refused", TimeSpan.FromSeconds(10))).Should().BeTrue(node.Output);
        await Task.Delay(TimeSpan.FromSeconds(8));

        node.Process.HasExited.Should().BeFalse("a refused node waits and retries instead of exiting");
        var attempts = CountOccurrences(node.Output, "enrollment refused");
        // Waits of at least 0.5, 1, 2 and 4 s leave room for five attempts in 8 s, never six.
        attempts.Should().BeInRange(1, 5, "attempts back off exponentially: " + node.Output);
        node.Output.Should().Contain("401");
        (await CoreInstance.GetJsonAsync<List<NodeView>>(_admin, "/api/v1/nodes")).Should().BeEmpty();
    }

    [Fact]
    public async Task A_revoked_node_is_disconnected_and_refused()
    {
        await using var node = _core.NewNode("revoked");
        await node.StartAsync();
        var id = await WaitOnlineAsync(node);

        using var response = await _admin.PostAsync($"/api/v1/nodes/{id}/revoke", null);
        response.StatusCode.Should().Be(HttpStatusCode.NoContent);

        await Eventually.WaitAsync(async () => !(await NodeAsync(id)).Online, TimeSpan.FromSeconds(10), "revoked node offline");
        (await node.Process.WaitForOutputAsync("403", TimeSpan.FromSeconds(15))).Should().BeTrue(node.Output);
        await Task.Delay(TimeSpan.FromSeconds(3));
        (await NodeAsync(id)).Online.Should().BeFalse();
    }

    private sealed record JoinView(string Id, string NodeId);

    private async Task<HttpResponseMessage> Enroll(string key, string machineId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, ProtocolInfo.EnrollPath)
        {
            Content = JsonContent.Create(new EnrollRequest { MachineId = machineId, Hostname = "probe", ProtocolVersion = ProtocolInfo.Version, AgentVersion = "test" }),
        };
        request.Headers.Authorization = new("Bearer", key);
        return await _core.Http.SendAsync(request);
    }

    private async Task<string> WaitOnlineAsync(NodeInstance node)
    {
        string? id = null;
        await Eventually.WaitAsync(async () =>
        {
            var found = (await CoreInstance.GetJsonAsync<List<NodeView>>(_admin, "/api/v1/nodes")).FirstOrDefault(n => n.Name == node.Name);
            id = found?.Id;
            return found is { Online: true };
        }, TimeSpan.FromSeconds(30), $"{node.Name} online", () => _core.Output + node.Output);
        return id!;
    }

    private async Task<NodeView> NodeAsync(string id) => await CoreInstance.GetJsonAsync<NodeView>(_admin, $"/api/v1/nodes/{id}");

    private Task<TimeSpan> WaitStoredAsync(string id, int count) =>
        Eventually.WaitAsync(() => Task.FromResult(Stored(id).Count >= count), TimeSpan.FromSeconds(20), $"{count} samples stored", () => _core.Output);

    private (long Count, long Max) Stored(string id)
    {
        using var db = _core.OpenDatabase();
        using var command = db.CreateCommand();
        command.CommandText = "SELECT count(*), coalesce(max(seq), 0) FROM samples WHERE node_id = $id";
        command.Parameters.AddWithValue("$id", id);
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>Every seq from the first to the last is stored exactly once; optionally no hole in time either.</summary>
    private void AssertContiguous(string id, double? maxGapSeconds)
    {
        using var db = _core.OpenDatabase();
        using var command = db.CreateCommand();
        command.CommandText = "SELECT seq, ts FROM samples WHERE node_id = $id ORDER BY seq";
        command.Parameters.AddWithValue("$id", id);
        var rows = new List<(long Seq, long Ts)>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read()) rows.Add((reader.GetInt64(0), reader.GetInt64(1)));
        }

        rows.Should().NotBeEmpty();
        rows[0].Seq.Should().Be(1);
        rows.Select(r => r.Seq).Should().Equal(Enumerable.Range(1, rows.Count).Select(i => (long)i), "no seq is missing or doubled");
        var gaps = rows.Zip(rows.Skip(1), (a, b) => (b.Ts - a.Ts) / 1000.0).ToList();
        output.WriteLine($"{rows.Count} samples, largest gap {gaps.DefaultIfEmpty().Max():0.00} s");
        if (maxGapSeconds is { } max) gaps.Should().OnlyContain(g => g <= max, "the Node kept sampling while the Core was away");
    }

    private static int CountOccurrences(string text, string what)
    {
        int count = 0, index = 0;
        while ((index = text.IndexOf(what, index, StringComparison.Ordinal)) >= 0)
        {
            count++;
            index += what.Length;
        }

        return count;
    }
}

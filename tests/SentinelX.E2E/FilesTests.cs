using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using FluentAssertions;
using SentinelX.E2E.Infrastructure;
using Xunit;

namespace SentinelX.E2E;

/// <summary>
/// The files capability through the real Core and Node: a 200 MB round trip, the Node's roots
/// (traversal and symlink escapes), directory operations, the locks and roles, and the audit log.
/// </summary>
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes them through IAsyncLifetime.DisposeAsync.")]
public sealed class FilesTests : IAsyncLifetime
{
    private readonly CoreInstance _core = new();
    private readonly string _root = Directory.CreateTempSubdirectory("sentinelx-files-root-").FullName;
    private readonly string _outside = Directory.CreateTempSubdirectory("sentinelx-files-outside-").FullName;
    private HttpClient _admin = null!;
    private NodeInstance _node = null!;
    private string _id = "";

    public async Task InitializeAsync()
    {
        await _core.StartAsync();
        _admin = await _core.ClientAsync();
        _node = _core.NewNode("files");
        var config = Path.Combine(_node.DataDir, "node.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new { fileRoots = new[] { _root } }));
        // Allowed explicitly: a Node allows only monitoring unless its owner says otherwise.
        _node.ExtraArgs.AddRange(["--config", config, "--allow", "files"]);
        _id = await _core.StartOnlineNodeAsync(_node, _admin, "files");
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _node.DisposeAsync();
        await _core.DisposeAsync();
        Directory.Delete(_root, recursive: true);
        Directory.Delete(_outside, recursive: true);
    }

    [Fact]
    public async Task A_200_MB_file_round_trips_with_matching_sha256_and_bounded_memory()
    {
        const long size = 200L * 1024 * 1024;
        var source = Path.Combine(_outside, "big.bin");
        string expected;
        await using (var file = File.Create(source))
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var chunk = new byte[1024 * 1024];
            for (long written = 0; written < size; written += chunk.Length)
            {
                RandomNumberGenerator.Fill(chunk);
                hash.AppendData(chunk);
                await file.WriteAsync(chunk);
            }

            expected = Convert.ToHexStringLower(hash.GetHashAndReset());
        }

        // Warm both sides up with a small transfer, so the baseline includes everything but the file's size.
        using var client = await _core.ClientAsync("operator");
        client.Timeout = TimeSpan.FromMinutes(5);
        await UploadAsync(client, "/warm.bin", new byte[1024 * 1024]);
        (await client.GetByteArrayAsync(Content("/warm.bin"))).Should().HaveCount(1024 * 1024);
        var coreBefore = PeakRssMb(_core.Process.Pid);
        var nodeBefore = PeakRssMb(_node.Process.Pid);

        await using (var body = File.OpenRead(source))
        {
            using var content = new StreamContent(body, 256 * 1024);
            using var response = await client.PutAsync(Content("/big.bin"), content);
            response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
            (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("size").GetInt64().Should().Be(size);
        }

        Sha256(File.OpenRead(Path.Combine(_root, "big.bin"))).Should().Be(expected, "the Node wrote exactly the bytes sent");
        Directory.GetFiles(_root, ".big.bin*").Should().BeEmpty("the upload's temporary file was renamed into place");

        using (var response = await client.GetAsync(Content("/big.bin"), HttpCompletionOption.ResponseHeadersRead))
        {
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            response.Content.Headers.ContentLength.Should().Be(size);
            response.Content.Headers.ContentDisposition!.FileNameStar.Should().Be("big.bin");
            Sha256(await response.Content.ReadAsStreamAsync()).Should().Be(expected, "the download carries the same bytes");
        }

        var coreRise = PeakRssMb(_core.Process.Pid) - coreBefore;
        var nodeRise = PeakRssMb(_node.Process.Pid) - nodeBefore;
        coreRise.Should().BeLessThan(100, $"the Core streams (peak RSS rose {coreRise} MB)");
        nodeRise.Should().BeLessThan(100, $"the Node streams (peak RSS rose {nodeRise} MB)");

        var audit = await CoreInstance.GetJsonAsync<List<AuditEntryView>>(_admin, $"/api/v1/audit?node={_id}&action=files.");
        audit.Should().Contain(e => e.Action == "files.write" && e.Target == _root + "/big.bin" && e.Detail == $"{size} bytes" && e.Actor == "test-operator" && e.Result == "ok");
        audit.Should().Contain(e => e.Action == "files.read" && e.Target == _root + "/big.bin" && e.Detail == $"{size} bytes" && e.Result == "ok");
    }

    [Fact]
    public async Task Paths_that_leave_the_root_are_refused()
    {
        File.WriteAllText(Path.Combine(_outside, "secret.txt"), "outside");
        Directory.CreateDirectory(Path.Combine(_root, "inside"));
        File.CreateSymbolicLink(Path.Combine(_root, "inside", "escape-dir"), _outside);
        File.CreateSymbolicLink(Path.Combine(_root, "inside", "escape-file"), Path.Combine(_outside, "secret.txt"));
        File.WriteAllText(Path.Combine(_root, "inside", "ok.txt"), "inside");
        File.CreateSymbolicLink(Path.Combine(_root, "inside", "ok-link"), Path.Combine(_root, "inside", "ok.txt"));

        var outside = new[]
        {
            $"{_root}/../{Path.GetFileName(_outside)}/secret.txt",
            $"{_root}/%2e%2e/{Path.GetFileName(_outside)}/secret.txt",
            "/etc/passwd",
        };
        foreach (var path in outside)
        {
            using var response = await _admin.GetAsync($"/api/v1/nodes/{_id}/files/content?path={(path.Contains('%') ? path : Uri.EscapeDataString(path))}");
            response.StatusCode.Should().Be(HttpStatusCode.Forbidden, path);
            (await Problem(response)).GetProperty("detail").GetString().Should().Contain("outside the allowed roots").And.Contain(_root);
        }

        // Links are never followed, wherever they point: out of the root or to another file in it.
        foreach (var path in new[] { "/inside/escape-file", "/inside/escape-dir/secret.txt", "/inside/ok-link" })
        {
            using var response = await _admin.GetAsync(Content(path));
            response.StatusCode.Should().Be(HttpStatusCode.Forbidden, path);
            (await Problem(response)).GetProperty("detail").GetString().Should().Contain("symbolic link");
        }

        using (var response = await _admin.GetAsync(List($"{_root}/inside/escape-dir")))
            response.StatusCode.Should().Be(HttpStatusCode.Forbidden, "listing through a symlink out of the root");
        using (var content = new ByteArrayContent("overwritten"u8.ToArray()))
        using (var response = await _admin.PutAsync(Content("/inside/escape-file"), content))
            response.StatusCode.Should().Be(HttpStatusCode.Forbidden, "writing through a symlink out of the root");
        File.ReadAllText(Path.Combine(_outside, "secret.txt")).Should().Be("outside");

        (await _admin.GetStringAsync(Content("/inside/ok.txt"))).Should().Be("inside");
        using (var response = await _admin.GetAsync($"/api/v1/nodes/{_id}/files?path=relative/path"))
            response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        using (var response = await _admin.GetAsync(Content("/inside/missing.txt")))
            response.StatusCode.Should().Be(HttpStatusCode.NotFound);

        var start = await CoreInstance.GetJsonAsync<JsonElement>(_admin, $"/api/v1/nodes/{_id}/files");
        start.GetProperty("path").GetString().Should().Be(Path.GetFullPath(_root), "without a path, browsing starts at the first allowed root");

        var listing = await CoreInstance.GetJsonAsync<JsonElement>(_admin, List($"{_root}/inside"));
        var link = listing.GetProperty("entries").EnumerateArray().Single(e => e.GetProperty("name").GetString() == "escape-dir");
        link.GetProperty("type").GetString().Should().Be("symlink");
        link.GetProperty("target").GetString().Should().Be(_outside, "the listing shows where a link points");
    }

    [Fact]
    public async Task A_file_swapped_for_a_link_between_listing_and_action_is_refused_and_the_target_untouched()
    {
        using var client = await _core.ClientAsync("operator");
        await UploadAsync(client, "/report.txt", "report"u8.ToArray());
        var target = Path.Combine(_outside, "shadow");
        File.WriteAllText(target, "root:secret");
        File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var listed = await CoreInstance.GetJsonAsync<JsonElement>(client, List(_root));
        listed.GetProperty("entries").EnumerateArray().Single(e => e.GetProperty("name").GetString() == "report.txt")
            .GetProperty("type").GetString().Should().Be("file", "the operator saw a plain file");

        // A local user on the server swaps it for a link before the operator acts.
        File.Delete(Path.Combine(_root, "report.txt"));
        File.CreateSymbolicLink(Path.Combine(_root, "report.txt"), target);

        using (var response = await CoreInstance.PostJsonAsync(client, $"/api/v1/nodes/{_id}/files/chmod", new { path = $"{_root}/report.txt", mode = "0644" }))
        {
            response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
            (await Problem(response)).GetProperty("detail").GetString().Should().Contain("symbolic link");
        }

        using (var content = new ByteArrayContent("owned"u8.ToArray()))
        using (var response = await client.PutAsync(Content("/report.txt"), content))
            response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        using (var content = new ByteArrayContent("owned"u8.ToArray()))
        using (var response = await client.PutAsync(Content("/report.txt") + "&offset=6", content))
            response.StatusCode.Should().Be(HttpStatusCode.Forbidden, "a resumed chunk re-opens through the same walk");
        using (var response = await client.GetAsync(Content("/report.txt")))
            response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        using (var response = await CoreInstance.PostJsonAsync(client, $"/api/v1/nodes/{_id}/files/chmod", new { path = _root, mode = "4755" }))
            response.StatusCode.Should().Be(HttpStatusCode.Forbidden, "setuid needs the Node's fileSpecialModes");

        File.GetUnixFileMode(target).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.ReadAllText(target).Should().Be("root:secret");
        var audit = await CoreInstance.GetJsonAsync<List<AuditEntryView>>(_admin, $"/api/v1/audit?node={_id}&action=files.chmod");
        audit.Should().Contain(e => e.Target == _root + "/report.txt" && e.Result == "refused");
    }

    [Fact]
    public async Task Folders_are_made_renamed_chmodded_and_deleted_with_a_recursive_guard()
    {
        using var client = await _core.ClientAsync("operator");
        (await CoreInstance.PostJsonAsync(client, $"/api/v1/nodes/{_id}/files/mkdir", new { path = $"{_root}/work" })).StatusCode.Should().Be(HttpStatusCode.OK);
        (await CoreInstance.PostJsonAsync(client, $"/api/v1/nodes/{_id}/files/mkdir", new { path = $"{_root}/work" })).StatusCode.Should().Be(HttpStatusCode.Conflict);
        await UploadAsync(client, "/work/notes.txt", "hello files"u8.ToArray());

        // Resuming: the second chunk continues at the acknowledged offset.
        using (var chunk = new ByteArrayContent(" and more"u8.ToArray()))
        using (var response = await client.PutAsync(Content("/work/notes.txt") + "&offset=11", chunk))
            (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("size").GetInt64().Should().Be(20);
        File.ReadAllText(Path.Combine(_root, "work", "notes.txt")).Should().Be("hello files and more");
        using (var chunk = new ByteArrayContent("x"u8.ToArray()))
        using (var response = await client.PutAsync(Content("/work/notes.txt") + "&offset=999", chunk))
            response.StatusCode.Should().Be(HttpStatusCode.Conflict, "an offset past the end cannot be resumed");

        // An upload cut off half-way leaves neither a half file nor its temporary file behind.
        using (var broken = new BrokenContent(3 * 1024 * 1024))
        {
            var act = () => client.PutAsync(Content("/work/cut.bin"), broken);
            await act.Should().ThrowAsync<HttpRequestException>();
        }

        await Eventually.WaitAsync(() => Task.FromResult(Directory.GetFiles(Path.Combine(_root, "work"), ".cut.bin*").Length == 0),
            TimeSpan.FromSeconds(15), "the temporary file of the cut upload is removed");
        File.Exists(Path.Combine(_root, "work", "cut.bin")).Should().BeFalse();

        (await CoreInstance.PostJsonAsync(client, $"/api/v1/nodes/{_id}/files/chmod", new { path = $"{_root}/work/notes.txt", mode = "0600" })).StatusCode.Should().Be(HttpStatusCode.OK);
        (await CoreInstance.PostJsonAsync(client, $"/api/v1/nodes/{_id}/files/chmod", new { path = $"{_root}/work/notes.txt", mode = "0999" })).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await CoreInstance.PostJsonAsync(client, $"/api/v1/nodes/{_id}/files/rename", new { from = $"{_root}/work/notes.txt", to = $"{_root}/work/renamed.txt" })).StatusCode.Should().Be(HttpStatusCode.OK);

        var listing = await CoreInstance.GetJsonAsync<JsonElement>(client, List($"{_root}/work"));
        var entry = listing.GetProperty("entries").EnumerateArray().Single();
        entry.GetProperty("name").GetString().Should().Be("renamed.txt");
        entry.GetProperty("type").GetString().Should().Be("file");
        entry.GetProperty("size").GetInt64().Should().Be(20);
        entry.GetProperty("mode").GetString().Should().Be("0600");
        entry.GetProperty("owner").GetString().Should().Be(Environment.UserName);
        File.GetUnixFileMode(Path.Combine(_root, "work", "renamed.txt")).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);

        using (var response = await client.DeleteAsync($"/api/v1/nodes/{_id}/files?path={Uri.EscapeDataString(_root + "/work")}"))
        {
            response.StatusCode.Should().Be(HttpStatusCode.Conflict);
            (await Problem(response)).GetProperty("detail").GetString().Should().Contain("not empty");
        }

        Directory.Exists(Path.Combine(_root, "work")).Should().BeTrue("nothing is deleted without recursive");
        using (var response = await client.DeleteAsync($"/api/v1/nodes/{_id}/files?path={Uri.EscapeDataString(_root + "/work")}&recursive=true"))
            response.StatusCode.Should().Be(HttpStatusCode.OK);
        Directory.Exists(Path.Combine(_root, "work")).Should().BeFalse();
        using (var response = await client.DeleteAsync($"/api/v1/nodes/{_id}/files?path={Uri.EscapeDataString(_root)}&recursive=true"))
            response.StatusCode.Should().Be(HttpStatusCode.Forbidden, "a root itself is never deleted");

        var audit = await CoreInstance.GetJsonAsync<List<AuditEntryView>>(_admin, $"/api/v1/audit?node={_id}&action=files.");
        audit.Select(e => (e.Action, e.Result)).Should().Contain([
            ("files.mkdir", "ok"), ("files.mkdir", "failed"), ("files.chmod", "ok"), ("files.rename", "ok"),
            ("files.delete", "failed"), ("files.delete", "ok"), ("files.delete", "refused"), ("files.write", "ok")]);
        audit.Single(e => e.Action == "files.rename").Detail.Should().Be($"to {_root}/work/renamed.txt");
        audit.Should().Contain(e => e.Action == "files.write" && e.Target == _root + "/work/cut.bin" && e.Result == "failed", "the cut upload is recorded as failed");
    }

    [Fact]
    public async Task Both_locks_and_the_role_are_checked()
    {
        using var viewer = await _core.ClientAsync("viewer");
        using (var response = await viewer.GetAsync(List(_root)))
            response.StatusCode.Should().Be(HttpStatusCode.Forbidden, "viewers get no remote operations");

        await CoreInstance.SetCapabilitiesAsync(_admin, _id, new Dictionary<string, bool> { ["files"] = false });
        using (var response = await _admin.GetAsync(List(_root)))
        {
            response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
            (await Problem(response)).GetProperty("lock").GetString().Should().Be("core");
        }

        await CoreInstance.SetCapabilitiesAsync(_admin, _id, new Dictionary<string, bool> { ["files"] = true });
        (await _admin.GetAsync(List(_root))).StatusCode.Should().Be(HttpStatusCode.OK);

        await using var execOnly = _core.NewNode("exec-only");
        execOnly.ExtraArgs.AddRange(["--allow", "exec"]);
        var other = await _core.StartOnlineNodeAsync(execOnly, _admin, "files");
        using (var content = new ByteArrayContent([1, 2, 3]))
        using (var response = await _admin.PutAsync($"/api/v1/nodes/{other}/files/content?path=/tmp/x", content))
        {
            response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
            (await Problem(response)).GetProperty("lock").GetString().Should().Be("node");
        }

        var audit = await CoreInstance.GetJsonAsync<List<AuditEntryView>>(_admin, $"/api/v1/audit?node={other}&action=files.write");
        audit.Should().ContainSingle().Which.Result.Should().Be("refused");
    }

    /// <summary>A request body that sends some bytes, then fails, as a dropped client does.</summary>
    private sealed class BrokenContent(int bytesBeforeFailing) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(new byte[bytesBeforeFailing]);
            await stream.FlushAsync();
            await Task.Delay(300);
            throw new IOException("client gave up");
        }

        protected override bool TryComputeLength(out long length)
        {
            length = bytesBeforeFailing * 2L;
            return true;
        }
    }

    private string List(string path) => $"/api/v1/nodes/{_id}/files?path={Uri.EscapeDataString(path)}";

    private string Content(string relative) => $"/api/v1/nodes/{_id}/files/content?path={Uri.EscapeDataString(_root + relative)}";

    private async Task UploadAsync(HttpClient client, string relative, byte[] bytes)
    {
        using var content = new ByteArrayContent(bytes);
        using var response = await client.PutAsync(Content(relative), content);
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    private static async Task<JsonElement> Problem(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    private static string Sha256(Stream stream)
    {
        using (stream) return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>VmHWM: the most resident memory the process ever had, in MB.</summary>
    private static long PeakRssMb(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
    }
}

// Keystroke round trip through the web terminal: signs in like a browser (cookie, same Origin),
// opens /ui/terminal/{node}, puts the PTY in raw mode with `cat` echoing, then sends one byte at a
// time and waits for it to come back through Core → Node → PTY → cat → Node → Core.
// usage: dotnet run tests/bench/shell-latency.cs -- URL NODE_ID USER PASSWORD [KEYSTROKES=1000]
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.RegularExpressions;

var core = new Uri(args[0]);
var nodeId = args[1];
var keystrokes = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 1000;

var cookies = new CookieContainer();
using (var http = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = core })
{
    var html = await http.GetStringAsync("/account/login");
    var token = WebUtility.HtmlDecode(Regex.Match(html, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value);
    using var login = await http.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
    {
        ["_handler"] = "login",
        ["__RequestVerificationToken"] = token,
        ["Input.UserName"] = args[2],
        ["Input.Password"] = args[3],
    }));
    if (login.StatusCode != HttpStatusCode.Redirect) throw new InvalidOperationException($"sign-in failed: {(int)login.StatusCode}");
}

using var socket = new ClientWebSocket();
socket.Options.Cookies = cookies;
socket.Options.SetRequestHeader("Origin", core.GetLeftPart(UriPartial.Authority));
await socket.ConnectAsync(new Uri($"ws://{core.Authority}/ui/terminal/{nodeId}?cols=120&rows=40"), CancellationToken.None);

var buffer = new byte[64 * 1024];
var seen = new StringBuilder();
// The typed command line is echoed before raw mode starts; only the output has READY unsplit.
await SendAsync("stty raw -echo; echo RE''ADY; exec cat\r");
while (!seen.ToString().Contains("READY", StringComparison.Ordinal))
{
    var r = await socket.ReceiveAsync(buffer, CancellationToken.None);
    seen.Append(Encoding.UTF8.GetString(buffer, 0, r.Count));
}

await Task.Delay(300);
var samples = new double[keystrokes];
var warmup = 50;
for (var i = -warmup; i < keystrokes; i++)
{
    var key = (byte)('a' + ((i + warmup) % 26));
    var clock = Stopwatch.StartNew();
    await socket.SendAsync(new[] { key }, WebSocketMessageType.Binary, true, CancellationToken.None);
    var back = false;
    while (!back)
    {
        var r = await socket.ReceiveAsync(buffer, CancellationToken.None);
        if (r.MessageType == WebSocketMessageType.Close) throw new InvalidOperationException("terminal closed: " + socket.CloseStatusDescription);
        back = Array.IndexOf(buffer, key, 0, r.Count) >= 0;
    }

    if (i >= 0) samples[i] = clock.Elapsed.TotalMilliseconds;
}

Array.Sort(samples);
double Percentile(double p) => samples[Math.Min(samples.Length - 1, (int)Math.Ceiling(p * samples.Length) - 1)];
var p95 = Percentile(0.95);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"keystroke round trip over {keystrokes} keys: p50 {Percentile(0.50):0.00} ms  p95 {p95:0.00} ms  p99 {Percentile(0.99):0.00} ms  max {samples[^1]:0.00} ms"));
Console.WriteLine(p95 < 30 ? "PASS: p95 < 30 ms" : "FAIL: p95 >= 30 ms");
await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
return p95 < 30 ? 0 : 1;

Task SendAsync(string text) => socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Binary, true, CancellationToken.None);

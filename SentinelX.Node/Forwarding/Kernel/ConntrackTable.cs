using System.Net;

namespace SentinelX.Node.Forwarding.Kernel;

/// <summary>
/// Counts a kernel rule's open flows in <c>/proc/net/nf_conntrack</c>: entries whose original
/// destination is the rule's listen port and whose reply comes from one of its targets (so DNAT
/// happened for this rule, not for someone else's on the same port).
/// </summary>
internal static class ConntrackTable
{
    public static int CountActive(string table, KernelRule rule)
    {
        var count = 0;
        foreach (var line in table.Split('\n'))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 6 || fields[0] != "ipv4" || !rule.Protocols.Contains(fields[2])) continue;

            // tcp lines carry a state after the timeout; a closing or closed connection is not active.
            if (fields[2] == "tcp" && fields[5] != "ESTABLISHED") continue;

            string? origDst = null, origDport = null, replySrc = null, replySport = null;
            foreach (var field in fields)
            {
                var eq = field.IndexOf('=');
                if (eq <= 0) continue;
                var (key, value) = (field[..eq], field[(eq + 1)..]);
                switch (key)
                {
                    case "dst" when origDst is null: origDst = value; break;
                    case "dport" when origDport is null: origDport = value; break;
                    case "src" when origDst is not null && replySrc is null: replySrc = value; break;
                    case "sport" when replySrc is not null && replySport is null: replySport = value; break;
                }
            }

            if (origDport != rule.ListenPort.ToString() || replySrc is null || replySport is null) continue;
            if (rule.ListenAddress is not null && origDst != rule.ListenAddress.ToString()) continue;
            if (!IPAddress.TryParse(replySrc, out var source) || !int.TryParse(replySport, out var sourcePort)) continue;
            if (rule.Targets.Any(t => t.Address.Equals(source) && t.Port == sourcePort)) count++;
        }

        return count;
    }
}

using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace SentinelX.App.Features.Storage;

/// <summary>Applies snake_case table and column names to every entity in a model.</summary>
internal static class SnakeCaseNames
{
    /// <summary>"MemUsedBytes" → "mem_used_bytes", "Load15" → "load15", "ApiToken" → "api_token".</summary>
    public static string ToSnakeCase(string name)
    {
        var sb = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                var prevLowerOrDigit = i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]));
                var acronymEnd = i > 0 && char.IsUpper(name[i - 1]) && i + 1 < name.Length && char.IsLower(name[i + 1]);
                if (prevLowerOrDigit || acronymEnd)
                    sb.Append('_');
                sb.Append(char.ToLowerInvariant(c));
            }
            else
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }

    /// <summary>
    /// Renames columns of every entity (tables are named explicitly with <c>ToTable</c>, so a
    /// table's name is a decision, not a side effect of a class name). Call at the end of
    /// <c>OnModelCreating</c>; key and index names then follow EF's conventions on the new names.
    /// </summary>
    public static void Apply(IMutableModel model)
    {
        foreach (var entity in model.GetEntityTypes())
        {
            if (entity.GetTableName() is { } table && table != ToSnakeCase(table))
                entity.SetTableName(ToSnakeCase(table));
            foreach (var property in entity.GetProperties())
                property.SetColumnName(ToSnakeCase(property.Name));
        }
    }
}

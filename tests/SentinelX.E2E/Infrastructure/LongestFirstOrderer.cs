using Xunit;
using Xunit.Abstractions;

namespace SentinelX.E2E.Infrastructure;

/// <summary>
/// Starts the longest collections first. Three collections run at a time; one that starts late and
/// runs long leaves the other threads idle at the end of the run, and the run is only as short as
/// its longest path. The list comes from the run's TRX timings (the longest take 2 to 4 minutes,
/// most others under one); a class not named here starts after them, by name.
/// </summary>
public sealed class LongestFirstOrderer : ITestCollectionOrderer
{
    private static readonly string[] Longest =
    [
        UiCollection.Name,
        UiCollection2.Name,
        typeof(LifecycleTests).FullName!,
        typeof(TerminalTests).FullName!,
        typeof(FilesTests).FullName!,
        typeof(InstallTests).FullName!,
        typeof(RemoteAccessTests).FullName!,
    ];

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderBy(Rank).ThenBy(c => c.DisplayName, StringComparer.Ordinal);

    private static int Rank(ITestCollection collection)
    {
        // A class without [Collection] is its own collection, named "Test collection for <full name>".
        var name = collection.DisplayName.Replace("Test collection for ", "", StringComparison.Ordinal);
        var index = Array.IndexOf(Longest, name);
        return index < 0 ? Longest.Length : index;
    }
}

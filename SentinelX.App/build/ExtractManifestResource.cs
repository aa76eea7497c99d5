// Copies one manifest resource out of a .NET assembly:
//   dotnet run ExtractManifestResource.cs -- ASSEMBLY RESOURCE-NAME OUTPUT-FILE
// Used by BlazorScript.targets at build time; not compiled into the Core.
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

if (args.Length != 3)
{
    Console.Error.WriteLine("usage: ExtractManifestResource ASSEMBLY RESOURCE-NAME OUTPUT-FILE");
    return 2;
}

using var stream = File.OpenRead(args[0]);
using var pe = new PEReader(stream);
var metadata = pe.GetMetadataReader();
foreach (var handle in metadata.ManifestResources)
{
    var resource = metadata.GetManifestResource(handle);
    if (metadata.GetString(resource.Name) != args[1]) continue;

    // Embedded resources live in the CLI header's resources directory, each prefixed by its length.
    var directory = pe.PEHeaders.CorHeader!.ResourcesDirectory;
    if (!pe.PEHeaders.TryGetDirectoryOffset(directory, out var start))
        break;
    stream.Position = start + resource.Offset;
    var reader = new BinaryReader(stream);
    var data = reader.ReadBytes(reader.ReadInt32());
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(args[2]))!);
    File.WriteAllBytes(args[2], data);
    Console.WriteLine($"extracted {args[1]} ({data.Length} bytes) to {args[2]}");
    return 0;
}

Console.Error.WriteLine($"resource {args[1]} not found in {args[0]}");
return 1;

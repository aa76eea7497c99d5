using System.Text.Json;
using FluentAssertions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SentinelX.App.Features.Nodes;
using SentinelX.Shared.Protocol;
using Xunit;

namespace SentinelX.Tests.Nodes;

public sealed class NodeFailureTests
{
    public static TheoryData<NodeFailureKind, int, string, string?> Kinds => new()
    {
        { NodeFailureKind.UnknownNode, 404, "node-not-found", null },
        { NodeFailureKind.Offline, 503, "node-offline", "offline" },
        { NodeFailureKind.CoreLock, 403, "capability-off", "core" },
        { NodeFailureKind.NodeLock, 403, "capability-not-allowed", "node" },
        { NodeFailureKind.Forbidden, 403, "forbidden", null },
        { NodeFailureKind.TimedOut, 504, "node-timeout", null },
        { NodeFailureKind.BadRequest, 400, "bad-request", null },
        { NodeFailureKind.NotFound, 404, "not-found", null },
        { NodeFailureKind.Conflict, 409, "conflict", null },
        { NodeFailureKind.Unprocessable, 422, "unprocessable", null },
        { NodeFailureKind.TooMany, 429, "too-many", null },
        { NodeFailureKind.NodeError, 502, "node-error", null },
    };

    [Fact]
    public void Every_kind_is_in_the_table() =>
        Kinds.Select(row => (NodeFailureKind)row[0]).Should().BeEquivalentTo(Enum.GetValues<NodeFailureKind>());

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Each_kind_becomes_one_status_and_one_problem_shape(NodeFailureKind kind, int status, string code, string? lockName)
    {
        var failure = new NodeFailure(kind, "Some title", "what happened, in the node's words");

        var problem = await WriteAsync(failure);

        problem.Status.Should().Be(status);
        problem.ContentType.Should().StartWith("application/problem+json");
        var json = problem.Body;
        json.GetProperty("status").GetInt32().Should().Be(status);
        json.GetProperty("title").GetString().Should().Be("Some title");
        json.GetProperty("detail").GetString().Should().Be("what happened, in the node's words");
        json.GetProperty("type").GetString().Should().Be("urn:sentinelx:problem:" + code);
        json.GetProperty("code").GetString().Should().Be(code);
        if (lockName is null) json.TryGetProperty("lock", out _).Should().BeFalse();
        else json.GetProperty("lock").GetString().Should().Be(lockName);
        json.TryGetProperty("errors", out _).Should().BeFalse("only a failure with field errors carries them");
    }

    [Fact]
    public async Task Field_errors_travel_as_errors()
    {
        var failure = NodeFailure.Conflict("Port already in use", "port 80 is taken") with
        {
            Errors = new Dictionary<string, string[]> { ["listenPort"] = ["port 80 is taken"] },
        };

        var json = (await WriteAsync(failure)).Body;

        json.GetProperty("errors").GetProperty("listenPort")[0].GetString().Should().Be("port 80 is taken");
        json.GetProperty("code").GetString().Should().Be("conflict");
    }

    public static TheoryData<int, string?, NodeFailureKind, string> RpcErrors => new()
    {
        { JsonRpcErrorCodes.CapabilityForbidden, null, NodeFailureKind.NodeLock, "files is not allowed by the server's own config" },
        { JsonRpcErrorCodes.NotFound, null, NodeFailureKind.NotFound, "Not found on the node" },
        { JsonRpcErrorCodes.InvalidParams, null, NodeFailureKind.BadRequest, "Invalid request" },
        { JsonRpcErrorCodes.Timeout, null, NodeFailureKind.TimedOut, "Node did not answer" },
        { JsonRpcErrorCodes.TooManyRequests, null, NodeFailureKind.TooMany, "Node is busy" },
        { JsonRpcErrorCodes.OperationFailed, FilesErrorReasons.OutsideRoots, NodeFailureKind.Forbidden, "Outside the allowed roots" },
        { JsonRpcErrorCodes.OperationFailed, FilesErrorReasons.Permission, NodeFailureKind.Forbidden, "Permission denied" },
        { JsonRpcErrorCodes.OperationFailed, FilesErrorReasons.Symlink, NodeFailureKind.Forbidden, "Symbolic link refused" },
        { JsonRpcErrorCodes.OperationFailed, FilesErrorReasons.NotEmpty, NodeFailureKind.Conflict, "Directory not empty" },
        { JsonRpcErrorCodes.OperationFailed, FilesErrorReasons.Exists, NodeFailureKind.Conflict, "Already exists" },
        { JsonRpcErrorCodes.OperationFailed, FilesErrorReasons.BadOffset, NodeFailureKind.Conflict, "Offset does not match the file" },
        { JsonRpcErrorCodes.OperationFailed, FilesErrorReasons.NotAFile, NodeFailureKind.Unprocessable, "Wrong kind of file" },
        { JsonRpcErrorCodes.OperationFailed, "409", NodeFailureKind.Conflict, "Refused by files" },
        { JsonRpcErrorCodes.OperationFailed, "500", NodeFailureKind.Unprocessable, "The operation failed on the node" },
        { JsonRpcErrorCodes.OperationFailed, null, NodeFailureKind.Unprocessable, "The operation failed on the node" },
        { JsonRpcErrorCodes.InternalError, null, NodeFailureKind.NodeError, "Node error" },
        { JsonRpcErrorCodes.MethodNotFound, null, NodeFailureKind.NodeError, "Node error" },
    };

    [Theory]
    [MemberData(nameof(RpcErrors))]
    public void A_nodes_json_rpc_error_keeps_its_message_as_the_detail(int code, string? data, NodeFailureKind kind, string title)
    {
        var failure = NodeFailure.FromRpc(new JsonRpcException(code, "the node's own words", data), Capabilities.Files);

        failure.Kind.Should().Be(kind);
        failure.Title.Should().Be(title);
        failure.Detail.Should().Be("the node's own words");
    }

    [Fact]
    public void A_lost_connection_and_a_wait_that_ran_out_are_offline_and_timed_out()
    {
        var node = new NodeState(new NodeRecord { Id = "n1", Name = "web-1", MachineId = "m", SecretHash = "h" });

        NodeFailure.From(node, new IOException("closed"), Capabilities.Exec).Should()
            .Be(new NodeFailure(NodeFailureKind.Offline, "Node offline", "node web-1 (n1) disconnected before it answered"));
        NodeFailure.From(node, new TimeoutException("no stream within 15 s"), Capabilities.Exec).Kind.Should().Be(NodeFailureKind.TimedOut);
        NodeFailure.Offline(node).Lock.Should().Be("offline");
    }

    [Fact]
    public void An_unknown_id_is_echoed_but_never_at_length()
    {
        NodeFailure.UnknownNode("web-9").Detail.Should().Be("there is no node with id web-9");
        var echoed = NodeFailure.UnknownNode(new string('x', 10_000)).Detail;
        echoed.Length.Should().BeLessThan(120);
        echoed.Should().EndWith("…");
    }

    [Fact]
    public void A_result_is_a_value_or_a_failure()
    {
        NodeResult<string> ok = "listing";
        NodeResult<string> failed = NodeFailure.BadRequest("Invalid request", "path is required");

        ok.Succeeded.Should().BeTrue();
        ok.Value.Should().Be("listing");
        ok.ToHttp().Result.Should().BeOfType<Microsoft.AspNetCore.Http.HttpResults.Ok<string>>();
        failed.Succeeded.Should().BeFalse();
        failed.Value.Should().BeNull();
        failed.ToHttp().Result.Should().BeOfType<Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult>()
            .Which.StatusCode.Should().Be(400);
    }

    private static async Task<(int Status, string ContentType, JsonElement Body)> WriteAsync(NodeFailure failure)
    {
        var services = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider();
        var http = new DefaultHttpContext { RequestServices = services };
        var body = new MemoryStream();
        http.Response.Body = body;
        await failure.ToProblem().ExecuteAsync(http);
        return (http.Response.StatusCode, http.Response.ContentType ?? "", JsonDocument.Parse(body.ToArray()).RootElement.Clone());
    }
}

using Microsoft.AspNetCore.Diagnostics;

namespace SentinelX.App.Features.Health;

/// <summary>Every error leaves as RFC 9457 ProblemDetails: status-code-only results, bad request bodies and crashes alike.</summary>
public static class ProblemDetailsSetup
{
    public static WebApplicationBuilder AddProblemResponses(this WebApplicationBuilder builder)
    {
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<BadRequestToProblem>();
        return builder;
    }

    public static WebApplication UseProblemResponses(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        return app;
    }

    /// <summary>
    /// Minimal APIs throw <see cref="BadHttpRequestException"/> for unreadable bodies or parameters;
    /// say what was wrong instead of a bare 400 (the message names the parameter, never a stack trace).
    /// </summary>
    private sealed class BadRequestToProblem(IProblemDetailsService problems) : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
        {
            if (exception is not BadHttpRequestException bad) return false;
            http.Response.StatusCode = bad.StatusCode;
            var detail = bad.InnerException is System.Text.Json.JsonException json ? $"{bad.Message} {json.Message}" : bad.Message;
            return await problems.TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                ProblemDetails = { Status = bad.StatusCode, Title = "Invalid request", Detail = detail },
                Exception = exception,
            });
        }
    }
}

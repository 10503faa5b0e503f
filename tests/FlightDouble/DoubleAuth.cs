using System;
using System.Collections.Concurrent;
using System.Text;
using System.Threading.Tasks;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace SecureConnect.Tests.FlightDouble;

/// <summary>
/// Every call passes here first: it is counted, and when the double has a login it must carry one, as Dremio's
/// arrow.flight.auth2 asks: "authorization: Basic base64(user:password)" on a call (the client's first; the double
/// answers it with "authorization: Bearer &lt;token&gt;" in the response headers, and a session cookie), or
/// "authorization: Bearer &lt;token&gt;" with a token the double issued or its --token (a personal access token).
/// Anything else is Unauthenticated.
/// </summary>
public sealed class DoubleAuth : Interceptor
{
    public const string SessionCookie = "flight_double_session";

    private readonly DoubleOptions _options;
    private readonly DoubleStats _stats;
    private readonly ConcurrentDictionary<string, bool> _issued;

    public DoubleAuth(DoubleOptions options, DoubleStats stats, IssuedTokens issued)
    {
        _options = options;
        _stats = stats;
        _issued = issued.Tokens;
    }

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        await CheckAsync(context).ConfigureAwait(false);
        return await continuation(request, context).ConfigureAwait(false);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await CheckAsync(context).ConfigureAwait(false);
        await continuation(request, responseStream, context).ConfigureAwait(false);
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await CheckAsync(context).ConfigureAwait(false);
        return await continuation(requestStream, context).ConfigureAwait(false);
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await CheckAsync(context).ConfigureAwait(false);
        await continuation(requestStream, responseStream, context).ConfigureAwait(false);
    }

    private async Task CheckAsync(ServerCallContext context)
    {
        string method = context.Method[(context.Method.LastIndexOf('/') + 1)..];
        _stats.Call(method);
        _stats.LastAuthority = context.Host;
        Console.Error.WriteLine($"call {method}");
        if (!_options.RequiresLogin)
        {
            return;
        }

        string? authorization = context.RequestHeaders.GetValue("authorization");
        if (authorization is not null && authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            string pair;
            try
            {
                pair = Encoding.UTF8.GetString(Convert.FromBase64String(authorization[6..].Trim()));
            }
            catch (FormatException)
            {
                pair = string.Empty;
            }

            int colon = pair.IndexOf(':', StringComparison.Ordinal);
            if (_options.User is not null && colon > 0 && pair[..colon] == _options.User && pair[(colon + 1)..] == _options.Password)
            {
                string token = Guid.NewGuid().ToString("N");
                _issued[token] = true;
                _stats.LoginOk(basic: true);
                await context.WriteResponseHeadersAsync(new Metadata
                {
                    { "authorization", "Bearer " + token },
                    { "set-cookie", $"{SessionCookie}={Guid.NewGuid():N}; Path=/" },
                }).ConfigureAwait(false);
                return;
            }

            _stats.LoginFailed();
            throw new RpcException(new Status(StatusCode.Unauthenticated, $"Unable to authenticate user {(colon > 0 ? pair[..colon] : "(none)")}: invalid user name or password"));
        }

        if (authorization is not null && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            string token = authorization[7..].Trim();
            if ((_options.Token is not null && token == _options.Token) || _issued.ContainsKey(token))
            {
                _stats.LoginOk(basic: false);
                return;
            }

            _stats.LoginFailed();
            throw new RpcException(new Status(StatusCode.Unauthenticated, "Invalid or expired bearer token"));
        }

        _stats.LoginFailed();
        throw new RpcException(new Status(StatusCode.Unauthenticated, "No authorization header: send Basic credentials or a Bearer token"));
    }
}

/// <summary>The bearer tokens the double issued (shared by every call).</summary>
public sealed class IssuedTokens
{
    public ConcurrentDictionary<string, bool> Tokens { get; } = new();
}

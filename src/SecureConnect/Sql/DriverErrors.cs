using System;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Authentication;
using SecureConnect.Common;

namespace SecureConnect.Sql;

/// <summary>What every engine needs to read a driver's exception: its innermost cause, and whether it mentions a subject.</summary>
internal static class DriverErrors
{
    internal static bool Mentions(Exception error, string text)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            if (e.Message.Contains(text, StringComparison.OrdinalIgnoreCase) || e is AuthenticationException)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The first exception of type <typeparamref name="T"/> in the chain of inner exceptions.</summary>
    internal static T? Find<T>(Exception? error)
        where T : Exception
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>
    /// True when the driver stopped the command because its command timeout ran out: a TimeoutException anywhere in
    /// the chain (Npgsql, MySqlConnector), or the drivers' own timeout messages (MySqlConnector's "Command Timeout
    /// expired", SqlClient's "Execution Timeout Expired", PostgreSQL's cancellation after a statement timeout).
    /// </summary>
    internal static bool IsCommandTimeout(Exception error)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            if (e is TimeoutException
                || e.Message.Contains("Command Timeout expired", StringComparison.OrdinalIgnoreCase)
                || e.Message.Contains("Execution Timeout Expired", StringComparison.OrdinalIgnoreCase)
                || e.Message.Contains("canceling statement due to statement timeout", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The QueryTimeout error of a query that ran longer than its command timeout.</summary>
    internal static SecureConnectException CommandTimeout(string name, int seconds, long rowsDelivered, Exception error) => new(
        ErrorIds.QueryTimeout,
        ErrorKind.OperationTimeout,
        $"The query on '{name}' ran longer than its command timeout of {seconds.ToString(CultureInfo.InvariantCulture)} s and was stopped" +
        (rowsDelivered > 0 ? $" after {rowsDelivered.ToString(CultureInfo.InvariantCulture)} rows; the result is incomplete." : "; no rows were returned.") +
        " Give it more time with -CommandTimeout (0 for no limit), or make the query faster.",
        name,
        error);

    /// <summary>
    /// The MySQL family's "Access denied for user ... (using password: NO)": the login was refused because no
    /// password was sent at all, which the server's wording hides. Says so, and how to give one; null for any
    /// other refusal.
    /// </summary>
    internal static string? NoPasswordSent(Exception error) =>
        error.Message.Contains("(using password: NO)", StringComparison.OrdinalIgnoreCase)
            ? "No password was sent: the login has none (no -Credential, no saved credential or secret, or an empty password). Pass -Credential, or save one with Set-SecureIntegration -Credential (or -CredentialSecret)"
            : null;

    internal static string Innermost(Exception error)
    {
        Exception e = error;
        while (e.InnerException is not null && e is not SocketException)
        {
            e = e.InnerException;
        }

        return e == error ? error.Message : $"{error.Message} ({e.Message})";
    }
}

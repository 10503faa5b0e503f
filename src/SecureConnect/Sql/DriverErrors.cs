using System;
using System.Net.Sockets;
using System.Security.Authentication;

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

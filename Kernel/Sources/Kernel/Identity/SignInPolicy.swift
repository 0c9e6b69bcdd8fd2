/// Rules for signing in.
public enum SignInPolicy {
    /// Failed sign-ins in a row that lock an account.
    public static let maxFailures = 5
    /// How long a locked account stays locked.
    public static let lockMillis: Int64 = 15 * 60 * 1000
    /// How long a session token lives.
    public static let sessionMillis: Int64 = 12 * 60 * 60 * 1000
    public static let minimumPasswordLength = 8
}

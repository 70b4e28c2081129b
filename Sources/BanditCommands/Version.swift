// The version both programs print (`bandit --version`, `banditd --version`), defined once.

/// bandit's release: the REPL and the daemon are built and shipped together, so they share it.
public enum BanditVersion {
    public static let number = "0.9.0"
}

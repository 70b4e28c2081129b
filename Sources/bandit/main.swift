// bandit: until the REPL lands, runs the notebook's experiment and prints its table.

import BanditCore
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
print("bandit: the notebook experiment (seed 17, 5 features, 30 posts, 10 runs × 14 days × 100 decisions)")

import { runTalkCli } from './talkClient'

/** `npm run talk -- --toggle | --talk-start | --talk-stop | --cancel | --show` (see talkClient.ts). */
runTalkCli(process.argv.slice(2), process.env, (line) => console.log(line), (line) => console.error(line)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`talk: ${(error as Error).stack ?? String(error)}`)
    process.exit(1)
  }
)

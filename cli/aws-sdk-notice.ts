/**
 * On Node below 22 the AWS SDK warns, once per process, that its releases after January 2027 will need
 * Node 22. In the processes this project starts (the CLI, the bench, local invokes) that notice lands
 * in the middle of their output and says nothing about this code, so the SDK's own switch turns it
 * off. Only that notice: every other warning still prints.
 */
export function silenceAwsSdkNodeNotice(env: NodeJS.ProcessEnv = process.env): void {
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

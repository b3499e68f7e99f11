import { z } from 'zod'

/**
 * What kind of notice a notice is, so the window can recognise one without matching its words (which change):
 * `no_speech_to_text`: nothing can turn speech into text (no provider configured, no on-device model installed); the
 * first-run setup says so already, so the window does not repeat it as a toast while the setup is shown.
 * An unknown code (a newer backend) is dropped, never the notice.
 */
export const NOTICE_CODES = ['no_speech_to_text'] as const
export const noticeCodeSchema = z.enum(NOTICE_CODES)
export type NoticeCode = z.infer<typeof noticeCodeSchema>
export const optionalNoticeCodeSchema = noticeCodeSchema.optional().catch(undefined)

export const noticeLevelSchema = z.enum(['info', 'warning', 'error'])
